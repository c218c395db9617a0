#include "proxy/fastcgi_env.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>

#include "http/uri.h"
#include "router/placeholders.h"

namespace gatehouse::proxy {

namespace {

// Go's origReq.URL.RequestURI(), Caddy's REQUEST_URI: the original target as Go re-escapes
// it ("/#frag" -> "/%23frag"); the raw target when it does not parse.
std::string originalRequestUri(const std::string& origUri) {
  runtime::Request parsed;
  return http::parseTarget(origUri, parsed) ? parsed.uri() : origUri;
}

}  // namespace

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Go's filepath.Abs: joined with the working directory when relative, then cleaned.
bool absolutePath(const std::string& p, std::string& out, std::string& error) {
  std::string joined = p;
  if (p.empty() || p.front() != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) {
      error = "getwd: cannot read the working directory";
      return false;
    }
    joined = std::string(cwd) + "/" + p;
  }
  out = http::cleanPath(joined);
  if (out.size() > 1 && out.back() == '/') {
    out.pop_back();  // filepath.Clean drops the trailing slash cleanPath keeps
  }
  return true;
}

// net.SplitHostPort, falling back (as Caddy does) to the whole host without a port.
void splitHostPort(std::string_view hostport, std::string& host, std::string& port) {
  host.assign(hostport);
  port.clear();
  if (!hostport.empty() && hostport.front() == '[') {
    const size_t close = hostport.find("]:");
    if (close != std::string_view::npos && hostport.find(']') == close) {
      host.assign(hostport.substr(1, close - 1));
      port.assign(hostport.substr(close + 2));
    }
    return;
  }
  const size_t colon = hostport.find(':');
  if (colon != std::string_view::npos && hostport.find(':', colon + 1) == std::string_view::npos) {
    host.assign(hostport.substr(0, colon));
    port.assign(hostport.substr(colon + 1));
  }
}

std::string sslProtocol(const std::string& version) {
  if (version == "tls1.0")
    return "TLSv1";
  if (version == "tls1.1")
    return "TLSv1.1";
  if (version == "tls1.2")
    return "TLSv1.2";
  if (version == "tls1.3")
    return "TLSv1.3";
  return {};
}

// "HTTP_" + the field name upper-cased with '-' and ' ' as '_'.
std::string cgiFieldName(std::string_view name) {
  std::string out = "HTTP_";
  for (char c : name) {
    out.push_back(c == '-' || c == ' ' ? '_'
                                       : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

const std::string* capture(const runtime::Exchange& ex, std::string_view key) {
  for (const auto& [k, v] : ex.captures) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

// The request's content length as Go's Request.ContentLength: -1 when unknown (chunked).
// A rewrite that dropped the body set it to 0, which Caddy's transport then takes from the
// Content-Length field instead (0 when absent or not a number): PHP is told of a body it
// never gets, as with 2.6.2.
std::string contentLengthOf(const runtime::Request& req, const RewrittenRequest* rewritten) {
  if (rewritten != nullptr && rewritten->bodyDropped) {
    const std::string* field = req.headers.find("Content-Length");
    const bool number =
        field != nullptr && !field->empty() && field->size() < 19 &&
        std::all_of(field->begin(), field->end(), [](unsigned char c) { return std::isdigit(c); });
    return number ? std::to_string(std::stoll(*field)) : "0";
  }
  if (req.bodyLength == runtime::Request::kChunked) {
    return "-1";
  }
  return std::to_string(req.bodyLength);
}

// Caddy's FastCGI client methods (Get, Head, Options, Post) set these last.
void applyMethodRules(const runtime::Request& req, const runtime::HeaderList& fields,
                      const RewrittenRequest* rewritten, CgiEnv& env) {
  const std::string& m = rewritten != nullptr ? rewritten->method : req.method;
  if (m == "HEAD" || m == "OPTIONS") {
    env["REQUEST_METHOD"] = m;
    env["CONTENT_LENGTH"] = "0";
    return;
  }
  env["CONTENT_LENGTH"] = contentLengthOf(req, rewritten);
  if (m == "GET") {
    env["REQUEST_METHOD"] = "GET";
    return;
  }
  std::string upper = m;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  env["REQUEST_METHOD"] = upper.empty() ? "POST" : upper;
  const std::string_view type = fields.get("Content-Type");
  env["CONTENT_TYPE"] = type.empty() ? "application/x-www-form-urlencoded" : std::string(type);
}

}  // namespace

bool fastCgiSendsBody(std::string_view method) {
  return method != "HEAD" && method != "OPTIONS";
}

long splitPosition(const std::vector<std::string>& splitPath, std::string_view path) {
  if (splitPath.empty()) {
    return 0;
  }
  const std::string lowerPath = lower(path);
  for (const auto& split : splitPath) {
    const size_t at = lowerPath.find(lower(split));
    if (at != std::string::npos) {
      return static_cast<long>(at + split.size());
    }
  }
  return -1;
}

std::string sanitizedPathJoin(const std::string& root, std::string_view reqPath) {
  std::string base = root.empty() ? std::string(".") : root;
  std::string cleaned = http::cleanPath("/" + std::string(reqPath));
  if (cleaned.size() > 1 && cleaned.back() == '/') {
    cleaned.pop_back();
  }
  // filepath.Join(root, cleaned), cleaned again.
  std::string joined = cleaned == "/" ? base : base + cleaned;
  std::string out = http::cleanPath(joined);
  if (out.size() > 1 && out.back() == '/') {
    out.pop_back();
  }
  if (base.front() != '/' && out.front() == '/') {
    out.erase(0, 1);  // a relative root stays relative
  }
  if (reqPath.size() > 1 && reqPath.back() == '/') {
    out.push_back('/');
  }
  return out;
}

bool buildCgiEnv(const FastCgiTransport& t, const runtime::Exchange& ex, const runtime::HeaderList& fields,
                 CgiEnv& env, std::string& error, const RewrittenRequest* rewritten) {
  const runtime::Request& req = ex.request;
  std::string rendered = t.root.render(ex);
  if (rendered.empty()) {
    rendered = ".";  // Caddy renders the root with "." for an empty value
  }
  std::string root;
  if (!absolutePath(rendered, root, error)) {
    return false;
  }
  if (t.resolveRootSymlink) {
    char real[PATH_MAX];
    if (::realpath(root.c_str(), real) == nullptr) {
      error = "lstat " + root + ": cannot resolve the root's symlinks";
      return false;
    }
    root = real;
  }
  const std::string& fpath = rewritten != nullptr ? rewritten->path : req.path;
  std::string scriptName = fpath;
  std::string docUri = fpath;
  std::string pathInfo;
  if (const long pos = splitPosition(t.splitPath, fpath); pos >= 0) {
    docUri = fpath.substr(0, static_cast<size_t>(pos));
    pathInfo = fpath.substr(static_cast<size_t>(pos));
    if (scriptName.ends_with(pathInfo)) {
      scriptName.resize(scriptName.size() - pathInfo.size());
    }
  }
  if (pathInfo.empty()) {
    const std::string key = std::string(router::kFileMatcherCapturePrefix) + "remainder";
    if (const std::string* remainder = capture(ex, key)) {
      pathInfo = *remainder;
    }
  }
  const std::string scriptFilename = sanitizedPathJoin(root, scriptName);
  if (!scriptName.empty() && scriptName.front() != '/') {
    scriptName.insert(0, "/");
  }
  const std::string scheme = req.tls ? "https" : "http";
  const std::string_view host = fields.has("Host") ? fields.get("Host") : std::string_view(req.host);
  std::string reqHost;
  std::string reqPort;
  splitHostPort(host, reqHost, reqPort);
  const std::string* user = router::findSetPlaceholder(ex, "http.auth.user.id");
  const std::string proto = req.versionMajor == 2 ? "HTTP/2.0" : "HTTP/1." + std::to_string(req.versionMinor);
  env = CgiEnv{
      {"AUTH_TYPE", ""},
      {"CONTENT_LENGTH", std::string(fields.get("Content-Length"))},
      {"CONTENT_TYPE", std::string(fields.get("Content-Type"))},
      {"GATEWAY_INTERFACE", "CGI/1.1"},
      {"PATH_INFO", pathInfo},
      {"QUERY_STRING", rewritten != nullptr ? rewritten->query : req.query},
      {"REMOTE_ADDR", req.remoteIp},
      {"REMOTE_HOST", req.remoteIp},
      {"REMOTE_PORT", std::to_string(req.remotePort)},
      {"REMOTE_IDENT", ""},
      {"REMOTE_USER", user != nullptr ? *user : ""},
      {"REQUEST_METHOD", rewritten != nullptr ? rewritten->method : req.method},
      {"REQUEST_SCHEME", scheme},
      {"SERVER_NAME", reqHost},
      {"SERVER_PROTOCOL", proto},
      {"SERVER_SOFTWARE", "Gatehouse/" GATEHOUSE_VERSION},
      {"DOCUMENT_ROOT", root},
      {"DOCUMENT_URI", docUri},
      {"HTTP_HOST", std::string(host)},
      {"REQUEST_URI", originalRequestUri(req.origUri)},
      {"SCRIPT_FILENAME", scriptFilename},
      {"SCRIPT_NAME", scriptName},
  };
  if (!pathInfo.empty()) {
    env["PATH_TRANSLATED"] = sanitizedPathJoin(root, pathInfo);
  }
  env["SERVER_PORT"] = !reqPort.empty() ? reqPort : req.tls ? "443" : "80";
  if (req.tls) {
    env["HTTPS"] = "on";
    if (req.tlsInfo) {
      if (std::string v = sslProtocol(req.tlsInfo->version); !v.empty()) {
        env["SSL_PROTOCOL"] = v;
      }
      if (!req.tlsInfo->cipherSuite.empty()) {
        env["SSL_CIPHER"] = req.tlsInfo->cipherSuite;
      }
    }
  }
  for (const auto& [name, value] : t.env) {
    env[name] = value.render(ex);
  }
  // Fields of one name are joined with ", " (Go's header map holds them together).
  CgiEnv httpVars;
  for (const auto& f : fields) {
    if (runtime::equalsIgnoreCase(f.name, "Host")) {
      continue;  // Go keeps it as Request.Host: HTTP_HOST above
    }
    auto [it, fresh] = httpVars.try_emplace(cgiFieldName(runtime::canonicalHeaderName(f.name)), f.value);
    if (!fresh) {
      it->second.append(", ").append(f.value);
    }
  }
  for (auto& [k, v] : httpVars) {
    env[k] = std::move(v);
  }
  applyMethodRules(req, fields, rewritten, env);
  return true;
}

}  // namespace gatehouse::proxy
