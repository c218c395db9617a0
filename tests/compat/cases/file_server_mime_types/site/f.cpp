body of .cpp
