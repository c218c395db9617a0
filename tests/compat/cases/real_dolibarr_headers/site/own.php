<?php header("Strict-Transport-Security: max-age=1"); header("X-Frame-Options: SAMEORIGIN"); echo str_repeat("dolibarr ", 100);
