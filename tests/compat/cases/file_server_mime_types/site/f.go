body of .go
