<?php echo "lib\n";
