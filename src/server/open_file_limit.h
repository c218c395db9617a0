#pragma once
// The serving process's limit on open descriptors.

namespace gatehouse::server {

// Raises the soft RLIMIT_NOFILE to the hard limit, as Go programs (caddy among them) do at
// start: every client and upstream connection holds a descriptor, and Debian's default
// soft limit of 1,024 runs out under a modest proxy load (the ACME client alone opened 101
// connections to the CA for 200 names). Failure leaves the limit as it was.
void raiseOpenFileLimit();

}  // namespace gatehouse::server
