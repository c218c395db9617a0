#include "proxy/upstream_head_repair.h"

#include <catch2/catch.hpp>
#include <string>

using gatehouse::proxy::repairHead;

TEST_CASE("repairHead leaves out the field lines Go reads and llhttp refuses", "[proxy][head_repair]") {
  std::string out;
  SECTION("names outside the token set, an empty name, their obs-fold lines") {
    const std::string in =
        "HTTP/1.1 200 OK\r\nX(y): 1\r\n\tfolded\r\nBad Name: 2\r\nX-Caf\xc3\xa9: 3\r\n: novalue\r\nX-Good: "
        "4\r\n"
        "Content-Length: 2\r\n\r\nok";
    CHECK(repairHead(in, false, out));
    CHECK(out == "HTTP/1.1 200 OK\r\nX-Good: 4\r\nContent-Length: 2\r\n\r\nok");
  }
  SECTION("white space before the colon and a line without one stay (refused on purpose, as Go)") {
    const std::string in = "HTTP/1.1 200 OK\r\nX-Sp : 1\r\nNoColonHere\r\n\r\n";
    CHECK_FALSE(repairHead(in, false, out));
    CHECK(out == in);
  }
  SECTION("an invalid Content-Length on a 204 or 304 goes, not on a HEAD's answer or a 200") {
    CHECK(repairHead("HTTP/1.1 204 No Content\r\nContent-Length: 1x\r\n\r\n", false, out));
    CHECK(out == "HTTP/1.1 204 No Content\r\n\r\n");
    CHECK_FALSE(repairHead("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", true, out));
    CHECK_FALSE(repairHead("HTTP/1.1 304 Not Modified\r\nContent-Length: +3\r\n\r\n", true, out));
    CHECK_FALSE(repairHead("HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc", false, out));
  }
  SECTION("1xx heads first; the body after the final head and an incomplete line are untouched") {
    const std::string in =
        "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\nX(y): 1\r\n\r\nHTTP/1.1 200 OK\r\nBad Name: 2\r\n"
        "Content-Length: 12\r\n\r\nX(y): body\r\n";
    CHECK(repairHead(in, false, out));
    CHECK(out ==
          "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n"
          "X(y): body\r\n");
    CHECK(repairHead("HTTP/1.1 200 OK\nX(y): 1\nX-Par", false, out));
    CHECK(out == "HTTP/1.1 200 OK\nX-Par");
  }
}
