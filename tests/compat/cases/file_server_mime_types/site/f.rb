body of .rb
