body of .h
