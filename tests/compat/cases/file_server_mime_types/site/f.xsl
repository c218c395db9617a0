body of .xsl
