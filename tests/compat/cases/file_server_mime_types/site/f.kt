body of .kt
