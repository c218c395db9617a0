<?php
header('Location: /wp-login.php?redirect_to=%2Fwp-admin%2F', true, 302);
setcookie('wordpress_test_cookie', 'WP Cookie check');
