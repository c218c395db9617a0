body of.cpp
