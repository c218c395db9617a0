#pragma once
// The head of a CGI response (the start of FCGI_STDOUT), read as Caddy's FastCGI client
// reads it with Go's textproto.ReadMIMEHeader: lines up to the first empty one, folded
// continuation lines, names made canonical, empty names skipped; a `Status: 404 Not Found`
// field sets the status (and stays among the fields, as in Caddy), 200 without one. A
// stream that ends inside the head still yields what was read, as Go accepts io.EOF there.

#include <cstddef>
#include <string>
#include <string_view>

#include "proxy/upstream_connection.h"

namespace gatehouse::proxy {

class CgiHeadReader {
 public:
  explicit CgiHeadReader(size_t maxBytes) : maxBytes_(maxBytes) {}
  enum class State { More, Done, Error };

  // Takes STDOUT bytes. On Done, `head` is filled and `rest` holds the body bytes of
  // `data` that followed the head.
  State feed(std::string_view data, std::string_view& rest, ResponseHead& head);
  // STDOUT ended before the empty line.
  State finish(ResponseHead& head);
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  bool takeLine(std::string_view line);
  State complete(ResponseHead& head);

  size_t maxBytes_;
  std::string buf_;      // the current (unfinished) line
  std::string pending_;  // a field line that a continuation line may still extend
  runtime::HeaderList fields_;
  size_t total_ = 0;
  bool first_ = true;
  std::string error_;
};

}  // namespace gatehouse::proxy
