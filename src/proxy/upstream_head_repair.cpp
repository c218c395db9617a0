#include "proxy/upstream_head_repair.h"

#include "gatehouse/runtime/header_list.h"
#include "http/field_syntax.h"

namespace gatehouse::proxy {

namespace {

bool tokenByte(unsigned char c) {
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         kExtra.find(static_cast<char>(c)) != std::string_view::npos;
}

bool blank(char c) {
  return c == ' ' || c == '\t';
}

// The line without its CRLF or bare LF.
std::string_view content(std::string_view line) {
  line.remove_suffix(1);  // '\n'
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  return line;
}

// A status with no body whatever the framing fields say (Go's fixLength returns 0 for
// these before it parses a Content-Length). Not an answer to HEAD: Go's transport parses
// that one's Content-Length (for the response's ContentLength) and fails on a bad one.
bool bodyless(std::string_view statusLine, bool headRequest) {
  const size_t sp = statusLine.find(' ');
  if (headRequest || sp == std::string_view::npos || statusLine.size() < sp + 4) {
    return false;
  }
  const std::string_view code = statusLine.substr(sp + 1, 3);
  return code[0] == '1' || code == "204" || code == "304";
}

bool interim(std::string_view statusLine) {
  const size_t sp = statusLine.find(' ');
  return sp != std::string_view::npos && statusLine.size() >= sp + 4 && statusLine[sp + 1] == '1' &&
         statusLine.substr(sp + 1, 3) != "101";
}

bool digitsOnly(std::string_view v) {
  v = http::trimBlanks(v);
  if (v.empty()) {
    return false;
  }
  for (const char c : v) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

// Whether Go reads this field line and caddy never forwards it (see the header).
bool leftOut(std::string_view line, bool noBody) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return false;  // Go fails the answer too ("malformed MIME header line")
  }
  std::string_view name = line.substr(0, colon);
  if (name.empty()) {
    return true;
  }
  if (blank(name.back())) {
    return false;  // refused on purpose (onHeaderFieldComplete)
  }
  for (const char c : name) {
    if (!tokenByte(static_cast<unsigned char>(c))) {
      return true;
    }
  }
  return noBody && runtime::equalsIgnoreCase(name, "Content-Length") && !digitsOnly(line.substr(colon + 1));
}

}  // namespace

bool repairHead(std::string_view in, bool headRequest, std::string& out) {
  out.clear();
  out.reserve(in.size());
  bool changed = false;
  bool atStatus = true;   // the next line is a status line
  bool dropping = false;  // the last field line was left out (so are its continuations)
  bool noBody = false;
  bool inHead = true;
  std::string_view status;
  size_t pos = 0;
  while (inHead && pos < in.size()) {
    const size_t nl = in.find('\n', pos);
    if (nl == std::string_view::npos) {
      break;  // an incomplete line: read as it is, judged once it is whole
    }
    const std::string_view line = in.substr(pos, nl + 1 - pos);
    const std::string_view text = content(line);
    pos = nl + 1;
    if (atStatus) {
      atStatus = false;
      status = text;
      noBody = bodyless(text, headRequest);
      dropping = false;
      out.append(line);
      continue;
    }
    if (text.empty()) {
      out.append(line);  // the end of this head: another follows only after a 1xx
      atStatus = true;
      inHead = interim(status);
      continue;
    }
    if (blank(text.front()) ? dropping : (dropping = leftOut(text, noBody))) {
      changed = true;
      continue;
    }
    out.append(line);
  }
  out.append(in.substr(pos));
  return changed;
}

}  // namespace gatehouse::proxy
