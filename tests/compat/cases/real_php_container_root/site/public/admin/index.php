<?php echo 'public admin';
