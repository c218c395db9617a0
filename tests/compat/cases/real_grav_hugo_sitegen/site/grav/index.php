<?php
header('Content-Type: text/plain; charset=UTF-8');
$keys = ['SCRIPT_NAME','SCRIPT_FILENAME','PATH_INFO','REQUEST_URI','QUERY_STRING','DOCUMENT_URI','REQUEST_METHOD','HTTP_HOST','SERVER_NAME','SERVER_PORT','HTTPS','REMOTE_ADDR','HTTP_X_FORWARDED_FOR','CONTENT_TYPE','CONTENT_LENGTH','SERVER_PROTOCOL','GATEWAY_INTERFACE','PHP_SELF','DOCUMENT_ROOT','REQUEST_SCHEME','AUTH_TYPE','REMOTE_USER','APP_ENV'];
echo 'get=', json_encode($_GET), "\n";
echo basename(__FILE__), "\n";
foreach ($keys as $k) { echo $k, '=', ($_SERVER[$k] ?? '<unset>'), "\n"; }
echo 'post=', json_encode($_POST), "\n";
echo 'body=', strlen(file_get_contents('php://input')), "\n";
