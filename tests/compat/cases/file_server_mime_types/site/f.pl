body of .pl
