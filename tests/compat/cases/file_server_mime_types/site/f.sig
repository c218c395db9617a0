body of .sig
