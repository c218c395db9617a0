body of .tsx
