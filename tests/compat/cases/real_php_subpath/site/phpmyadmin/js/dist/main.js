var pma = 1;
