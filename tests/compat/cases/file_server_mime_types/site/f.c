body of .c
