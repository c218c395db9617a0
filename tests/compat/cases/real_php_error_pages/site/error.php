<?php
header('Content-Type: text/plain');
http_response_code((int)($_GET['code'] ?? 500));
echo 'error page code=', $_GET['code'] ?? '', ' env=', $_SERVER['ERROR_CODE'] ?? '', ' orig=', $_SERVER['ORIGINAL_URI'] ?? '', ' uri=', $_SERVER['REQUEST_URI'], ' method=', $_SERVER['REQUEST_METHOD'], "\n";
