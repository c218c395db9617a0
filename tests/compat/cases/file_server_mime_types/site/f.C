body of .C
