<?php
header('Content-Type: text/plain; charset=UTF-8');
$keys = ['SCRIPT_NAME','SCRIPT_FILENAME','PATH_INFO','REQUEST_URI','QUERY_STRING','DOCUMENT_URI','REQUEST_METHOD','HTTP_HOST','SERVER_PORT','HTTPS','modHeadersAvailable','front_controller_active','PHP_SELF','DOCUMENT_ROOT','HTTP_DEPTH','CONTENT_LENGTH'];
echo basename(__FILE__), "\n";
foreach ($keys as $k) { echo $k, '=', ($_SERVER[$k] ?? '<unset>'), "\n"; }
