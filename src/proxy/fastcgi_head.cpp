#include "proxy/fastcgi_head.h"

#include <charconv>

namespace gatehouse::proxy {

namespace {

std::string_view trimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string_view trimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  return s;
}

// Go's strconv.Atoi on the status's first word.
bool parseStatus(std::string_view text, int& status) {
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), status);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

}  // namespace

// A complete field line (continuations already folded in): "Name: value".
bool CgiHeadReader::takeLine(std::string_view line) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    error_ = "malformed MIME header line: " + std::string(line.substr(0, 200));
    return false;
  }
  const std::string_view name = line.substr(0, colon);
  if (name.empty()) {
    return true;  // Go skips a field without a name
  }
  fields_.emplaceBack(runtime::canonicalHeaderName(name), std::string(trimLeft(line.substr(colon + 1))));
  return true;
}

CgiHeadReader::State CgiHeadReader::feed(std::string_view data, std::string_view& rest, ResponseHead& head) {
  while (!data.empty()) {
    const size_t nl = data.find('\n');
    const std::string_view piece = data.substr(0, nl == std::string_view::npos ? data.size() : nl + 1);
    total_ += piece.size();
    if (total_ > maxBytes_) {
      error_ = "CGI response head too large";
      return State::Error;
    }
    buf_.append(piece);
    data.remove_prefix(piece.size());
    if (nl == std::string_view::npos) {
      return State::More;
    }
    const std::string_view line = trimRight(buf_);
    const bool continuation = !buf_.empty() && (buf_.front() == ' ' || buf_.front() == '\t');
    if (first_ && continuation) {
      error_ = "malformed MIME header initial line: " + std::string(line.substr(0, 200));
      return State::Error;
    }
    first_ = false;
    if (continuation && !line.empty() && !pending_.empty()) {
      pending_.append(" ").append(trimLeft(line));  // a folded line continues the field
      buf_.clear();
      continue;
    }
    if (!pending_.empty() && !takeLine(pending_)) {
      return State::Error;
    }
    pending_.clear();
    if (line.empty()) {
      buf_.clear();
      rest = data;
      return complete(head);
    }
    pending_.assign(line);
    buf_.clear();
  }
  return State::More;
}

CgiHeadReader::State CgiHeadReader::finish(ResponseHead& head) {
  if (!pending_.empty() && !takeLine(pending_)) {
    return State::Error;
  }
  pending_.clear();
  const std::string_view line = trimRight(buf_);
  if (!line.empty()) {
    const bool continuation = buf_.front() == ' ' || buf_.front() == '\t';
    if (first_ && continuation) {
      error_ = "malformed MIME header initial line: " + std::string(line.substr(0, 200));
      return State::Error;
    }
    if (!takeLine(line)) {
      return State::Error;
    }
  }
  buf_.clear();
  return complete(head);
}

CgiHeadReader::State CgiHeadReader::complete(ResponseHead& head) {
  head = ResponseHead();
  head.status = 200;
  if (const std::string* status = fields_.find("Status"); status != nullptr && !status->empty()) {
    const std::string_view s = *status;
    const size_t space = s.find(' ');
    if (!parseStatus(s.substr(0, space), head.status) || head.status < 100 || head.status > 999) {
      error_ = "invalid CGI Status field: " + std::string(s.substr(0, 200));
      return State::Error;
    }
    if (space != std::string_view::npos) {
      head.reason.assign(s.substr(space + 1));
    }
  }
  if (const std::string* length = fields_.find("Content-Length")) {
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(length->data(), length->data() + length->size(), n);
    head.hasLength = ec == std::errc() && ptr == length->data() + length->size() && !length->empty();
    head.length = head.hasLength ? n : 0;
  }
  head.headers = std::move(fields_);
  fields_ = runtime::HeaderList();
  return State::Done;
}

}  // namespace gatehouse::proxy
