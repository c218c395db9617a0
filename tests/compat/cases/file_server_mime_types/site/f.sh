body of .sh
