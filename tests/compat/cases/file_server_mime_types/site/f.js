body of .js
