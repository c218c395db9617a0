body of .lua
