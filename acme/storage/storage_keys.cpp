#include "storage/storage_keys.h"

#include <algorithm>
#include <cctype>

namespace gatehouse::acme::storage_keys {

namespace {
void replaceAll(std::string& s, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

bool keep(unsigned char c) {
  return std::isalnum(c) || c == '_' || c == '@' || c == '.' || c == '-';
}

// Everything after "@" in an email address is the domain; certmagic names the account
// files after the part before it.
std::string emailUsername(const std::string& email) {
  const auto at = email.find('@');
  if (at == std::string::npos)
    return email;
  if (at == 0)
    return email.substr(1);
  return email.substr(0, at);
}

std::string userPrefix(const std::string& issuerKey, const std::string& email) {
  return "acme/" + safe(issuerKey) + "/users/" + safe(email.empty() ? "default" : email);
}

std::string userFile(const std::string& issuerKey, const std::string& email, const std::string& fallback,
                     const std::string& ext) {
  std::string name = emailUsername(email.empty() ? "default" : email);
  if (name.empty())
    name = fallback;
  return userPrefix(issuerKey, email) + "/" + safe(name) + ext;
}
}  // namespace

std::string safe(std::string_view in) {
  std::string s;
  for (char c : in)
    s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto first = s.find_first_not_of(" \t\r\n\v\f");
  const auto last = s.find_last_not_of(" \t\r\n\v\f");
  s = first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
  // strings.NewReplacer substitutes left to right without rescanning its own output.
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ' ')
      out += '_';
    else if (c == '+')
      out += "_plus_";
    else if (c == '*')
      out += "wildcard_";
    else if (c == ':')
      out += '-';
    else if (c == '.' && i + 1 < s.size() && s[i + 1] == '.')
      ++i;
    else
      out += c;
  }
  std::string kept;
  for (char c : out) {
    if (keep(static_cast<unsigned char>(c)))
      kept += c;
  }
  return kept;
}

std::string issuerKey(const std::string& caUrl) {
  const auto scheme = caUrl.find("://");
  if (scheme == std::string::npos)
    return caUrl;
  const std::string rest = caUrl.substr(scheme + 3);
  const auto slash = rest.find('/');
  std::string key = rest.substr(0, slash);
  if (slash == std::string::npos)
    return key;
  std::string path = rest.substr(slash);
  if (const auto q = path.find_first_of("?#"); q != std::string::npos)
    path.resize(q);
  replaceAll(path, "/", "-");
  replaceAll(path, "\\", "-");
  const auto b = path.find_first_not_of('-');
  const auto e = path.find_last_not_of('-');
  if (b != std::string::npos)
    key += "-" + path.substr(b, e - b + 1);
  return key;
}

std::string namesKey(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) {
    if (!out.empty())
      out += ',';
    out += n;
  }
  constexpr size_t kMax = 1024;
  if (out.size() > kMax) {
    out.resize(kMax);
    out += "_trunc";
  }
  return out;
}

std::string certsPrefix(const std::string& issuerKey) {
  return "certificates/" + safe(issuerKey);
}

std::string siteCert(const std::string& issuerKey, const std::string& name) {
  return certsPrefix(issuerKey) + "/" + safe(name) + "/" + safe(name) + ".crt";
}
std::string sitePrivateKey(const std::string& issuerKey, const std::string& name) {
  return certsPrefix(issuerKey) + "/" + safe(name) + "/" + safe(name) + ".key";
}
std::string siteMeta(const std::string& issuerKey, const std::string& name) {
  return certsPrefix(issuerKey) + "/" + safe(name) + "/" + safe(name) + ".json";
}

std::string accountRegistration(const std::string& issuerKey, const std::string& email) {
  return userFile(issuerKey, email, "registration", ".json");
}
std::string accountPrivateKey(const std::string& issuerKey, const std::string& email) {
  return userFile(issuerKey, email, "private", ".key");
}

std::string issueLockName(const std::string& name) {
  return "issue_cert_" + name;
}

}  // namespace gatehouse::acme::storage_keys
