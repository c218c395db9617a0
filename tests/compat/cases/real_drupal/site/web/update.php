<?php
header('Content-Type: text/plain; charset=UTF-8');
header('X-Powered-By: PHP/8');
header('X-Generator: Drupal 10 (https://www.drupal.org)');
$keys = ['SCRIPT_NAME','SCRIPT_FILENAME','PATH_INFO','REQUEST_URI','QUERY_STRING','DOCUMENT_URI','PHP_SELF','REQUEST_METHOD','SERVER_PROTOCOL','GATEWAY_INTERFACE','SERVER_NAME','SERVER_PORT','SERVER_ADDR','REMOTE_ADDR','REMOTE_HOST','REMOTE_USER','AUTH_TYPE','PHP_AUTH_USER','PHP_AUTH_PW','HTTP_AUTHORIZATION','HTTP_COOKIE','HTTP_ACCEPT_LANGUAGE','HTTP_X_FORWARDED_FOR','HTTPS','REQUEST_SCHEME','APP_ENV','CONTENT_TYPE','CONTENT_LENGTH'];
echo basename(__FILE__), "\n";
foreach ($keys as $k) { echo $k, '=', var_export($_SERVER[$k] ?? null, true), "\n"; }
echo 'body=', strlen(file_get_contents('php://input')), "\n";
