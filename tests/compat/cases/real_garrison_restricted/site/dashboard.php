<?php echo "dash\n";
