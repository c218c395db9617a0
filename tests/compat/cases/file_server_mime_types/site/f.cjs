body of .cjs
