<?php echo "evil";
