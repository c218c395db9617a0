#include "templates/request_object.h"

#include "http/cookies.h"
#include "http/uri.h"

namespace gatehouse::templates {

namespace {

std::string percentDecode(std::string_view s, bool plusIsSpace) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && plusIsSpace) {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A nil field of a Go type templates cannot look into (url.URL.User, Request.Response ...):
// false in conditions, printed <nil>, JSON null; a field of it fails as Go's nil pointer does.
class NilObject final : public Object {
 public:
  NilObject(std::string type, std::string kind, std::string text)
      : type_(std::move(type)), kind_(std::move(kind)), text_(std::move(text)) {}
  [[nodiscard]] std::string typeName() const override { return type_; }
  [[nodiscard]] std::string kind() const override { return kind_; }
  [[nodiscard]] bool nil() const override { return true; }
  [[nodiscard]] bool stringer() const override { return text_ != "<nil>"; }
  [[nodiscard]] std::string print() const override { return text_; }
  [[nodiscard]] JsonForm json() const override {
    if (kind_ == "func" || kind_ == "chan") {
      throw TemplateError("json: unsupported type: " + type_);
    }
    return {Value(), {}};
  }
  std::optional<Value> get(std::string_view name, const Args& /*args*/) override {
    throw TemplateError("nil pointer evaluating " + type_ + "." + std::string(name));
  }

 private:
  std::string type_;
  std::string kind_;
  std::string text_;
};

// `text`: what fmt prints for it (<nil>, or what the type's String method makes of nil).
Value nilOf(std::string type, std::string kind = "ptr", std::string text = "<nil>") {
  return Value(std::shared_ptr<Object>(
      std::make_shared<NilObject>(std::move(type), std::move(kind), std::move(text))));
}

// Request.Body of a request without one: http.NoBody, an empty struct.
class NoBodyObject final : public Object {
 public:
  [[nodiscard]] std::string typeName() const override { return "http.noBody"; }
  [[nodiscard]] std::string print() const override { return "{}"; }
  [[nodiscard]] JsonForm json() const override { return {std::nullopt, {}}; }
  std::optional<Value> get(std::string_view /*name*/, const Args& /*args*/) override { return std::nullopt; }
};

class UrlObject final : public Object {
 public:
  UrlObject(const void* identity, std::string path, std::string rawPath, std::string query, bool forceQuery)
      : identity_(identity),
        path_(std::move(path)),
        rawPath_(std::move(rawPath)),
        query_(std::move(query)),
        forceQuery_(forceQuery) {}
  [[nodiscard]] std::string typeName() const override { return "*url.URL"; }
  [[nodiscard]] bool stringer() const override { return true; }
  [[nodiscard]] const void* identity() const override { return identity_; }

  std::optional<Value> get(std::string_view name, const Args& args) override {
    if (!args.empty()) {
      throw TemplateError(std::string(name) + " takes no arguments");
    }
    if (name == "Path") {
      return Value(path_);
    }
    if (name == "RawPath") {
      return Value(rawPath_ == path_ ? std::string() : rawPath_);
    }
    if (name == "RawQuery") {
      return Value(query_);
    }
    if (name == "Scheme" || name == "Opaque" || name == "Host" || name == "Fragment" ||
        name == "RawFragment") {
      return Value("");
    }
    if (name == "ForceQuery") {
      return Value(forceQuery_ && query_.empty());
    }
    if (name == "Query") {
      return parseQueryValues(query_);
    }
    if (name == "EscapedPath") {
      return Value(rawPath_.empty() ? path_ : rawPath_);
    }
    if (name == "String" || name == "RequestURI") {
      return Value(print());
    }
    if (name == "Hostname" || name == "Port") {
      return Value("");
    }
    if (name == "IsAbs" || name == "OmitHost") {
      return Value(false);
    }
    if (name == "User") {
      return nilOf("*url.Userinfo", "ptr", "");  // (*Userinfo).String of nil is
    }
    if (name == "Redacted") {  // String() with a password hidden: request URLs carry none
      return Value(print());
    }
    return std::nullopt;
  }
  [[nodiscard]] JsonForm json() const override {
    return {std::nullopt,
            {{"Scheme", Value("")},
             {"Opaque", Value("")},
             {"User", Value()},
             {"Host", Value("")},
             {"Path", Value(path_)},
             {"RawPath", Value(rawPath_ == path_ ? std::string() : rawPath_)},
             {"OmitHost", Value(false)},
             {"ForceQuery", Value(forceQuery_ && query_.empty())},
             {"RawQuery", Value(query_)},
             {"Fragment", Value("")},
             {"RawFragment", Value("")}}};
  }
  [[nodiscard]] std::string print() const override {
    std::string s = rawPath_.empty() ? path_ : rawPath_;
    if (!query_.empty() || forceQuery_) {
      s += "?" + query_;
    }
    return s;
  }

 private:
  const void* identity_;
  std::string path_;
  std::string rawPath_;
  std::string query_;
  bool forceQuery_;
};

// Request.TLS: the connection's TLS facts, or a nil pointer on cleartext.
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

class TlsStateObject final : public Object {
 public:
  explicit TlsStateObject(std::shared_ptr<const runtime::TlsInfo> info) : info_(std::move(info)) {}
  [[nodiscard]] std::string typeName() const override { return "*tls.ConnectionState"; }
  [[nodiscard]] bool nil() const override { return info_ == nullptr; }
  [[nodiscard]] std::string print() const override { return info_ == nullptr ? "<nil>" : Object::print(); }
  [[nodiscard]] JsonForm json() const override {
    return info_ == nullptr ? JsonForm{Value(), {}} : Object::json();
  }

  std::optional<Value> get(std::string_view name, const Args& /*args*/) override {
    if (info_ == nullptr) {
      throw TemplateError("nil pointer evaluating *tls.ConnectionState." + std::string(name));
    }
    if (name == "ServerName") {
      return Value(info_->serverName);
    }
    if (name == "NegotiatedProtocol") {
      return Value(info_->proto);
    }
    if (name == "HandshakeComplete") {
      return Value(true);
    }
    if (name == "DidResume") {
      return Value(info_->resumed);
    }
    if (name == "Version") {  // crypto/tls's VersionTLS1x numbers
      const std::string& v = info_->version;
      return Value(v == "tls1.3" ? 0x0304 : v == "tls1.2" ? 0x0303 : v == "tls1.1" ? 0x0302 : 0x0301);
    }
    return std::nullopt;
  }

 private:
  std::shared_ptr<const runtime::TlsInfo> info_;
};

// *http.Cookie as Request.Cookies() makes it: a name and a value, every other field zero.
class CookieObject final : public Object {
 public:
  CookieObject(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}
  [[nodiscard]] std::string typeName() const override { return "*http.Cookie"; }
  [[nodiscard]] bool stringer() const override { return true; }

  std::optional<Value> get(std::string_view name, const Args& args) override {
    if (!args.empty()) {
      throw TemplateError(std::string(name) + " takes no arguments");
    }
    if (name == "Name") {
      return Value(name_);
    }
    if (name == "Value") {
      return Value(value_);
    }
    if (name == "String") {
      return Value(print());
    }
    if (name == "Path" || name == "Domain" || name == "RawExpires" || name == "Raw") {
      return Value("");
    }
    if (name == "MaxAge" || name == "SameSite") {
      return Value(0);
    }
    if (name == "Secure" || name == "HttpOnly") {
      return Value(false);
    }
    if (name == "Unparsed") {
      return makeList();
    }
    return std::nullopt;
  }
  [[nodiscard]] JsonForm json() const override {
    return {std::nullopt,
            {{"Name", Value(name_)},
             {"Value", Value(value_)},
             {"Path", Value("")},
             {"Domain", Value("")},
             {"Expires", Value("0001-01-01T00:00:00Z")},  // the zero time.Time's JSON
             {"RawExpires", Value("")},
             {"MaxAge", Value(0)},
             {"Secure", Value(false)},
             {"HttpOnly", Value(false)},
             {"SameSite", Value(0)},
             {"Raw", Value("")},
             {"Unparsed", typed(makeList(), kNilStringSlice)}}};
  }
  // Cookie.String(): a value holding a space or a comma is quoted.
  [[nodiscard]] std::string print() const override {
    const bool quote = value_.find_first_of(" ,") != std::string::npos;
    return name_ + "=" + (quote ? "\"" + value_ + "\"" : value_);
  }

 private:
  std::string name_;
  std::string value_;
};

Value cookieValue(std::string name, std::string value) {
  return Value(std::shared_ptr<Object>(std::make_shared<CookieObject>(std::move(name), std::move(value))));
}

class RequestObject final : public Object {
 public:
  RequestObject(const runtime::Exchange& ex, runtime::Request req, bool original)
      : ex_(ex), req_(std::move(req)), original_(original) {}
  // .Req is the exchange's one *http.Request; .OriginalReq a copy (a struct holding maps).
  [[nodiscard]] std::string typeName() const override { return original_ ? "http.Request" : "*http.Request"; }
  [[nodiscard]] bool comparable() const override { return !original_; }
  [[nodiscard]] JsonForm json() const override {
    throw TemplateError("json: unsupported type: func() (io.ReadCloser, error)");  // Request.GetBody
  }
  // Each evaluation of .Req (and of its .URL) yields the same Go pointer; the original
  // request's URL is another one. Only compared, never followed.
  [[nodiscard]] const void* identity() const override {
    return static_cast<const char*>(static_cast<const void*>(&ex_)) + (original_ ? 1 : 0);
  }

  std::optional<Value> get(std::string_view name, const Args& args) override {
    if (name == "FormValue" || name == "PostFormValue") {
      if (args.size() != 1) {
        throw TemplateError("wrong number of args for " + std::string(name) + ": want 1 got " +
                            std::to_string(args.size()));
      }
      const std::string& key = wantString(args[0], name);
      if (name == "PostFormValue") {
        return Value("");  // the file server takes GET and HEAD only: no form body to read
      }
      Value query = parseQueryValues(req_.query);
      auto it = query.asMap().entries.find(key);
      return it == query.asMap().entries.end() ? Value("") : it->second.asList().front();
    }
    if (name == "ProtoAtLeast") {
      if (args.size() != 2) {
        throw TemplateError("wrong number of args for ProtoAtLeast: want 2 got " +
                            std::to_string(args.size()));
      }
      const int64_t major = wantInt(args[0], "ProtoAtLeast");
      const int64_t minor = wantInt(args[1], "ProtoAtLeast");
      const int64_t have = req_.versionMajor;
      const int64_t haveMinor = req_.versionMajor == 2 ? 0 : req_.versionMinor;
      return Value(have > major || (have == major && haveMinor >= minor));
    }
    if (!args.empty() && name != "Cookie") {
      throw TemplateError(std::string(name) + " takes no arguments");
    }
    if (name == "Body") {
      if (ex_.request.bodyLength == 0) {
        return Value(std::shared_ptr<Object>(std::make_shared<NoBodyObject>()));
      }
      return std::nullopt;  // Go's body reader prints its pointers: not reproduced
    }
    if (name == "GetBody") {
      return nilOf("func() (io.ReadCloser, error)", "func");
    }
    if (name == "MultipartForm") {
      return nilOf("*multipart.Form");
    }
    if (name == "Response") {
      return nilOf("*http.Response");
    }
    if (name == "Cancel") {
      return nilOf("<-chan struct {}", "chan");
    }
    if (name == "Method") {
      return Value(req_.method);
    }
    if (name == "URL") {
      return Value(std::shared_ptr<Object>(
          std::make_shared<UrlObject>(identity(), req_.path, req_.rawPath, req_.query, req_.hasQuery)));
    }
    if (name == "Host") {
      return Value(req_.host);
    }
    if (name == "Header") {
      return headerValues(ex_.request.headers);
    }
    if (name == "Proto") {
      return Value(req_.versionMajor == 2 ? std::string("HTTP/2.0")
                                          : "HTTP/1." + std::to_string(req_.versionMinor));
    }
    if (name == "ProtoMajor") {
      return Value(req_.versionMajor);
    }
    if (name == "ProtoMinor") {
      return Value(req_.versionMajor == 2 ? 0 : req_.versionMinor);
    }
    if (name == "RemoteAddr") {
      const bool v6 = ex_.request.remoteIp.find(':') != std::string::npos;
      return Value((v6 ? "[" + ex_.request.remoteIp + "]" : ex_.request.remoteIp) + ":" +
                   std::to_string(ex_.request.remotePort));
    }
    if (name == "RequestURI") {
      return Value(ex_.request.origUri);
    }
    if (name == "ContentLength") {
      const uint64_t n = ex_.request.bodyLength;
      return typed(Value(n == runtime::Request::kChunked ? int64_t{-1} : static_cast<int64_t>(n)), "int64");
    }
    if (name == "UserAgent") {
      return Value(std::string(ex_.request.headers.get("User-Agent")));
    }
    if (name == "Referer") {
      return Value(std::string(ex_.request.headers.get("Referer")));
    }
    if (name == "Close") {  // Go: "Connection: close", or HTTP/1.0 without keep-alive
      const std::string conn = lower(ex_.request.headers.get("Connection"));
      return Value(req_.versionMajor == 1 &&
                   (conn.find("close") != std::string::npos ||
                    (req_.versionMinor == 0 && conn.find("keep-alive") == std::string::npos)));
    }
    if (name == "Form" || name == "PostForm") {
      return typed(makeMap(MapData::Kind::UrlValues), "nil url.Values");  // nil until ParseForm
    }
    if (name == "Trailer") {
      return typed(makeMap(MapData::Kind::Header), "nil http.Header");
    }
    if (name == "TransferEncoding") {
      return ex_.request.bodyLength == runtime::Request::kChunked && req_.versionMajor == 1
                 ? typed(makeList(List{Value("chunked")}), "[]string")
                 : typed(makeList(), kNilStringSlice);
    }
    if (name == "Cookie") {  // (*http.Cookie, error): a missing cookie fails the template
      if (args.size() != 1 || !args[0].isString()) {
        throw TemplateError("wrong number of args for Cookie: want 1 got " + std::to_string(args.size()));
      }
      auto found = http::requestCookies(ex_.request.headers, args[0].asString());
      if (found.empty()) {
        throw TemplateError("http: named cookie not present");
      }
      return cookieValue(std::move(found[0].first), std::move(found[0].second));
    }
    if (name == "Cookies") {
      List all;
      for (auto& [n, v] : http::requestCookies(ex_.request.headers)) {
        all.push_back(cookieValue(std::move(n), std::move(v)));
      }
      return typed(makeList(std::move(all)), "[]*http.Cookie");
    }
    if (name == "TLS") {
      // *tls.ConnectionState: nil on cleartext, so `{{if .Req.TLS}}` tells the scheme.
      return Value(std::shared_ptr<Object>(std::make_shared<TlsStateObject>(ex_.request.tlsInfo)));
    }
    return std::nullopt;
  }

 private:
  const runtime::Exchange& ex_;
  runtime::Request req_;
  bool original_;
};

}  // namespace

Value parseQueryValues(const std::string& rawQuery) {
  Value m = makeMap(MapData::Kind::UrlValues);
  size_t start = 0;
  while (start <= rawQuery.size() && !rawQuery.empty()) {
    size_t amp = rawQuery.find('&', start);
    if (amp == std::string::npos) {
      amp = rawQuery.size();
    }
    std::string_view pair(rawQuery.data() + start, amp - start);
    if (!pair.empty() && pair.find(';') == std::string_view::npos) {
      const size_t eq = pair.find('=');
      std::string key = percentDecode(pair.substr(0, eq), true);
      std::string val =
          eq == std::string_view::npos ? std::string() : percentDecode(pair.substr(eq + 1), true);
      auto& slot = m.asMap().entries[key];
      if (!slot.isList()) {
        slot = typed(makeList(), "[]string");
      }
      slot.asList().emplace_back(std::move(val));
    }
    start = amp + 1;
  }
  return m;
}

std::optional<std::string> requestCookie(const runtime::Exchange& ex, const std::string& name) {
  // Caddy's .Cookie: the first of Request.Cookies() with that name.
  for (auto& [n, v] : http::requestCookies(ex.request.headers)) {
    if (n == name) {
      return std::move(v);
    }
  }
  return std::nullopt;
}

Value headerValues(const runtime::HeaderList& headers) {
  Value m = makeMap(MapData::Kind::Header);
  for (const auto& f : headers) {
    if (runtime::equalsIgnoreCase(f.name, "Host")) {
      continue;
    }
    auto& slot = m.asMap().entries[runtime::canonicalHeaderName(f.name)];
    if (!slot.isList()) {
      slot = typed(makeList(), "[]string");
    }
    slot.asList().emplace_back(f.value);
  }
  return m;
}

Value makeRequestObject(const runtime::Exchange& ex, bool original) {
  runtime::Request req;
  req.method = ex.request.method;
  req.host = ex.request.host;
  req.versionMajor = ex.request.versionMajor;
  req.versionMinor = ex.request.versionMinor;
  if (original && !ex.request.origUri.empty()) {
    http::parseTarget(ex.request.origUri, req);
  } else {
    req.path = ex.request.path;
    req.rawPath = ex.request.rawPath;
    req.query = ex.request.query;
    req.hasQuery = ex.request.hasQuery;
  }
  return Value(std::shared_ptr<Object>(std::make_shared<RequestObject>(ex, std::move(req), original)));
}

}  // namespace gatehouse::templates
