<?php header("X-XSS-Protection: 0"); header("Content-Type: text/plain"); echo "xss app\n";
