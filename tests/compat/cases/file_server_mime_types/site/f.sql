body of .sql
