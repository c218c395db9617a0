#include "router/error_placeholders.h"

#include <cctype>

#include "http/exchange_notes.h"
#include "http/status.h"

namespace gatehouse::router {

namespace {

// {http.error}: the error itself as Go prints a caddyhttp.HandlerError,
// "{id=ID} TRACE: HTTP STATUS: MESSAGE", without ": MESSAGE" when the error has no Go
// cause (file_server's 404), trimmed as strings.TrimSpace.
void errorText(const runtime::Exchange& ex, std::string& out) {
  const runtime::HandlerError& err = ex.error;
  out = "{id=" + err.id + "}";
  if (*err.trace != '\0') {
    out += ' ';
    out += err.trace;
  }
  out += ": HTTP " + std::to_string(err.status);
  if (http::errorHasCause(ex)) {
    out += ": " + err.message;
  }
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back())) != 0) {
    out.pop_back();
  }
}

// {http.error.KEY}.
bool errorField(std::string_view key, const runtime::HandlerError& err, std::string& out) {
  if (key == "status_code") {
    out = std::to_string(err.status);
  } else if (key == "status_text") {
    out.assign(http::reasonPhrase(err.status));
  } else if (key == "message") {
    out = err.message;  // Exchange::fail fills in the status text when a handler gives none
  } else if (key == "id") {
    out = err.id;
  } else if (key == "trace") {
    out = err.trace;
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool errorPlaceholder(std::string_view rest, const runtime::Exchange& ex, std::string& out) {
  if (ex.error.status == 0 || ex.error.plain) {
    return false;  // set only while handle_errors routes run
  }
  if (rest.empty()) {
    errorText(ex, out);
    return true;
  }
  return rest.starts_with(".") && errorField(rest.substr(1), ex.error, out);
}

}  // namespace gatehouse::router
