body of .rs
