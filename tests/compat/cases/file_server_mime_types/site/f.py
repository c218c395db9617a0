body of .py
