// Go's Header.Write order for the upstream head: by name, bytewise, each name's lines kept
// in arrival order (caddy 2.6.2's bytes: tests/e2e/proxy_upstream_bytes_vs_caddy_test.py).
#include "proxy/field_line_order.h"

#include <catch2/catch.hpp>
#include <string>

using gatehouse::proxy::sortFieldLines;

TEST_CASE("field line order: sorted by name, stable, only past the given offset") {
  const std::string prefix = "GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: z\r\nContent-Length: 3\r\n";
  std::string head = prefix +
                     "Zed: z\r\nX-A: 1\r\nAccept: a\r\nX-A: 2\r\nAccept-Encoding: br\r\nX_under: u\r\n"
                     "X-Forwarded-For: 192.0.2.1\r\nAccept: b: c\r\nX-A: 3\r\n";
  sortFieldLines(head, prefix.size());
  CHECK(head == prefix +
                    "Accept: a\r\nAccept: b: c\r\nAccept-Encoding: br\r\nX-A: 1\r\nX-A: 2\r\nX-A: 3\r\n"
                    "X-Forwarded-For: 192.0.2.1\r\nX_under: u\r\nZed: z\r\n");

  std::string empty = prefix;
  sortFieldLines(empty, prefix.size());
  CHECK(empty == prefix);
}

TEST_CASE("field line order: more lines than the stack holds") {
  std::string head;
  std::string want;
  for (int i = 99; i >= 0; --i) {
    head += "X-F" + std::to_string(i / 10) + ": " + std::to_string(i) + "\r\n";
  }
  for (int d = 0; d < 10; ++d) {
    for (int i = 99; i >= 0; --i) {
      if (i / 10 == d) {
        want += "X-F" + std::to_string(d) + ": " + std::to_string(i) + "\r\n";
      }
    }
  }
  sortFieldLines(head, 0);
  CHECK(head == want);
}

TEST_CASE("field line order: names sharing their first eight bytes") {
  std::string head =
      "X-Forwarded-Proto: http\r\nX-Forwar: 8\r\nX-Forwarded-For: 192.0.2.1\r\nX-Forwarded-Host: h\r\n"
      "X-Forwarded-Fo: short\r\nX-Forw: 6\r\nX-Forwarded-For: second\r\n";
  sortFieldLines(head, 0);
  CHECK(head ==
        "X-Forw: 6\r\nX-Forwar: 8\r\nX-Forwarded-Fo: short\r\nX-Forwarded-For: 192.0.2.1\r\n"
        "X-Forwarded-For: second\r\nX-Forwarded-Host: h\r\nX-Forwarded-Proto: http\r\n");
}
