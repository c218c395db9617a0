body of .ts
