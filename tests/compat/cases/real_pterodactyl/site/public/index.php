<?php
header('Content-Type: text/plain; charset=UTF-8');
$keys = ['SCRIPT_NAME','SCRIPT_FILENAME','PATH_INFO','REQUEST_URI','QUERY_STRING','DOCUMENT_URI','DOCUMENT_ROOT','REQUEST_METHOD','HTTP_HOST','HTTPS','HTTP_PROXY','REQUEST_SCHEME','PHP_SELF','CONTENT_TYPE','CONTENT_LENGTH','HTTP_X_FORWARDED_FOR','REMOTE_ADDR'];
echo basename(__FILE__), "\n";
foreach ($keys as $k) { echo $k, '=', ($_SERVER[$k] ?? '<unset>'), "\n"; }
echo 'body=', strlen(file_get_contents('php://input')), "\n";
