<?php echo 'public info';
