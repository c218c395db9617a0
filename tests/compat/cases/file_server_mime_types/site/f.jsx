body of .jsx
