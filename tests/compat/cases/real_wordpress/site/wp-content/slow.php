<?php
// A page printed in pieces with pauses (a plugin doing slow work between echoes).
header('Content-Type: text/html; charset=UTF-8');
$n = intval($_GET['n'] ?? 5);
$pause = intval($_GET['ms'] ?? 50) * 1000;
for ($i = 0; $i < $n; $i++) {
    echo "<p>piece $i</p>\n";
    flush();
    usleep($pause);
}
