<?php
header('Content-Type: text/plain; charset=UTF-8');
$keys = ['SCRIPT_NAME','SCRIPT_FILENAME','PATH_INFO','REQUEST_URI','QUERY_STRING','DOCUMENT_URI','DOCUMENT_ROOT','PHP_SELF','REQUEST_METHOD','HTTP_HOST','SERVER_NAME','SERVER_PORT','CONTENT_TYPE','CONTENT_LENGTH'];
echo basename(__FILE__), "\n";
foreach ($keys as $k) { echo $k, '=', ($_SERVER[$k] ?? '<unset>'), "\n"; }
echo 'body=', strlen(file_get_contents('php://input')), "\n";
