#pragma once
// Go's net/url URL type as Sprig's urlParse/urlJoin see it: url.Parse (with Go's error
// texts), URL.String, Hostname and Userinfo.String.

#include <optional>
#include <string>

namespace gatehouse::templates {

struct GoUrl {
  std::string scheme, opaque, host, path, rawQuery, fragment;
  bool forceQuery = false;
  // Userinfo: present or not; the password may be unset (User vs UserPassword).
  bool hasUser = false;
  std::string username;
  std::optional<std::string> password;

  [[nodiscard]] std::string hostname() const;
  [[nodiscard]] std::string userinfo() const;  // Userinfo.String(), "" without one
  [[nodiscard]] std::string str() const;       // URL.String()
};

// url.Parse; throws TemplateError with url.Error's text (`parse "RAW": reason`).
GoUrl goParseUrl(const std::string& raw);

}  // namespace gatehouse::templates
