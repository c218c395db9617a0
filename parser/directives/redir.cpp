// The redir directive: a redirect response (Caddy's static_response handler).
#include "directives/handler_directives.h"
#include "directives/handler_util.h"
#include "gatehouse/html_escape.h"
#include "options/option_util.h"

namespace gatehouse::parser {
namespace {

// The page that redirects browsers only: the script imitates a redirect in the browser's
// history; the meta tag covers clients without scripts.
std::string htmlRedirectBody(const std::string& to) {
  const std::string t = htmlEscape(to);
  return "<!DOCTYPE html>\n<html>\n\t<head>\n\t\t<title>Redirecting...</title>\n"
         "\t\t<script>window.location.replace(\"" +
         t +
         "\");</script>\n"
         "\t\t<meta http-equiv=\"refresh\" content=\"0; URL='" +
         t +
         "'\">\n"
         "\t</head>\n\t<body>Redirecting to <a href=\"" +
         t + "\">" + t +
         "</a>...</body>\n"
         "</html>\n";
}

// Checks a numeric or placeholder code; 3xx and 401 (for XHR clients) are allowed.
void checkCode(Helper& h, const std::string& code) {
  if (code.starts_with('{')) {
    return;
  }
  auto n = options::parseInt(code);
  if (!n) {
    throw h.err("Not a supported redir code type or not valid integer: '" + code + "'");
  }
  if (*n < 300 || (*n > 399 && *n != 401)) {
    throw h.err("Redir code not in the 3xx range or 401: '" + std::to_string(*n) + "'");
  }
}

}  // namespace

// redir [<matcher>] <to> [<code>]
//
// <code> is "permanent" (301), "temporary" (302, the default), "html" (a 200 page that
// redirects browsers only), a placeholder, or a number in the 3xx range or 401.
config::Handler parseRedir(Helper& h) {
  h.next();  // the directive name
  if (!h.nextArg()) {
    throw h.argErr();
  }
  std::string to = h.val();
  std::string code;
  if (h.nextArg()) {
    code = h.val();
  }

  Json fields = Json::object();
  if (code == "html") {
    fields["status_code"] = 200;
    fields["headers"] = Json{{"Content-Type", Json::array({"text/html; charset=utf-8"})}};
    fields["body"] = htmlRedirectBody(to);
    return config::Handler{"static_response", fields, {}, std::nullopt};
  }
  if (code == "permanent") {
    code = "301";
  } else if (code == "temporary" || code.empty()) {
    code = "302";
  } else {
    checkCode(h, code);
  }
  fields["status_code"] = handler_util::weakString(code);
  fields["headers"] = Json{{"Location", Json::array({to})}};
  return config::Handler{"static_response", fields, {}, std::nullopt};
}

}  // namespace gatehouse::parser
