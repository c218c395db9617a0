#include "http/http1_request_rules.h"

#include <cstring>

#include "http/field_syntax.h"

namespace gatehouse::http {

using runtime::equalsIgnoreCase;

namespace {

// Go reads only "chunked" (and nothing else) as a request's Transfer-Encoding: anything
// else is 501, checked before Content-Length is looked at.
bool unsupportedCoding(const runtime::HeaderList& fields) {
  for (const auto& f : fields) {
    if (equalsIgnoreCase(f.name, "Transfer-Encoding") && !equalsIgnoreCase(f.value, "chunked")) {
      return true;
    }
  }
  return false;
}

}  // namespace

ParseRefusal refusalFor(const llhttp_t& parser, const runtime::HeaderList& fields, bool notImplemented,
                        std::string_view detail) {
  const llhttp_errno_t err = llhttp_get_errno(&parser);
  // A Transfer-Encoding llhttp cannot read ("chunked, chunked") is one Go does not support
  // either; llhttp stops inside the field, before its value reaches `fields`.
  if (notImplemented || err == HPE_INVALID_TRANSFER_ENCODING ||
      (err == HPE_UNEXPECTED_CONTENT_LENGTH && unsupportedCoding(fields))) {
    return {501, "Unsupported transfer encoding"};
  }
  if (detail.empty() && err == HPE_INVALID_HEADER_TOKEN) {
    const char* reason = llhttp_get_error_reason(&parser);
    if (reason != nullptr && std::strstr(reason, "header value") != nullptr) {
      return {400, "invalid header value"};  // a control byte: Go's ValidHeaderFieldValue
    }
    const char* pos = llhttp_get_error_pos(&parser);
    if (pos != nullptr && (*pos == '\r' || *pos == '\n')) {
      return {400, ""};  // a line without a colon: Go's textproto error, a bare 400
    }
    return {400, "invalid header name"};  // a byte no token holds: Go's ValidHeaderFieldName
  }
  return {400, detail};
}

void trimTrailingBlanks(std::string& value) {
  size_t n = value.size();
  while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t')) {
    --n;
  }
  value.resize(n);
}

bool isGlobalOptions(std::string_view method, std::string_view target) {
  return target == "*" && method == "OPTIONS";
}

bool announcesFramingTrailer(const runtime::HeaderList& headers) {
  bool bad = false;
  for (const auto& f : headers) {
    if (!bad && equalsIgnoreCase(f.name, "Trailer")) {
      forEachListItem(f.value, [&](std::string_view name) {
        bad = equalsIgnoreCase(name, "Transfer-Encoding") || equalsIgnoreCase(name, "Trailer") ||
              equalsIgnoreCase(name, "Content-Length");
        return !bad;
      });
    }
  }
  return bad;
}

bool connectionHasToken(const runtime::HeaderList& headers, std::string_view token) {
  bool found = false;
  for (const auto& f : headers) {
    if (!found && equalsIgnoreCase(f.name, "Connection")) {
      forEachListItem(f.value, [&](std::string_view item) {
        found = equalsIgnoreCase(item, token);
        return !found;
      });
    }
  }
  return found;
}

bool hasUpgradeToken(const runtime::HeaderList& headers) {
  return connectionHasToken(headers, "upgrade");
}

bool keepsAlive(const runtime::HeaderList& headers, int major, int minor) {
  if (major < 1) {
    return false;
  }
  if (major == 1 && minor == 0) {
    // Go's wantsHttp10KeepAlive reads the first Connection field alone, and once it names
    // keep-alive a "close" beside it (or in a later field) does not end the connection.
    bool found = false;
    forEachListItem(headers.get("Connection"), [&](std::string_view item) {
      found = equalsIgnoreCase(item, "keep-alive");
      return !found;
    });
    return found;
  }
  return !connectionHasToken(headers, "close");
}

}  // namespace gatehouse::http
