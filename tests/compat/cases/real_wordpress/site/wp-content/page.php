<?php
// A rendered page: a few KB of HTML, as a theme prints it.
header('Content-Type: text/html; charset=UTF-8');
$n = intval($_GET['kb'] ?? 6);
echo "<!DOCTYPE html><html><head><title>Hello world</title></head><body>\n";
for ($i = 0; $i < $n * 10; $i++) {
    echo "<article class=\"post\"><h2>Post $i</h2><p>Lorem ipsum dolor sit amet, consectetur.</p></article>\n";
}
echo "</body></html>\n";
