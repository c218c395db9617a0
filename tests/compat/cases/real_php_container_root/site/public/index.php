<?php echo 'public copy';
