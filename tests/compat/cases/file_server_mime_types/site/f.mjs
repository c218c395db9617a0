body of .mjs
