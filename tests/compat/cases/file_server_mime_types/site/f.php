body of .php
