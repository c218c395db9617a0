body of.h
