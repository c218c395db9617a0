#include "templates/caddy_context.h"

#include <dirent.h>
#include <sys/stat.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "router/placeholders.h"
#include "templates/go_time_parse.h"
#include "templates/humanize_time.h"
#include "templates/request_object.h"
#include "templates/sprig.h"
#include "templates/time_value.h"

namespace gatehouse::templates {

namespace {

constexpr int kMaxIncludeDepth = 32;  // nested include/import chains

// Go's path.Clean("/" + name), as http.Dir.Open uses.
std::string cleanRooted(const std::string& name) {
  std::vector<std::string> parts;
  for (const auto& seg : goSplit(name, "/")) {
    const std::string& s = seg.asString();
    if (s.empty() || s == ".") {
      continue;
    }
    if (s == "..") {
      if (!parts.empty()) {
        parts.pop_back();
      }
      continue;
    }
    parts.push_back(s);
  }
  std::string out;
  for (const auto& p : parts) {
    out += "/" + p;
  }
  return out.empty() ? "/" : out;
}

// http.Dir(root).Open(name): the full path, or a Go-style error.
std::string rootedPath(const CaddyTemplateEnv& env, const std::string& name) {
  if (name.find('\0') != std::string::npos) {
    throw TemplateError("http: invalid character in file path");
  }
  std::string root = env.fileRoot.empty() ? "." : env.fileRoot;
  while (root.size() > 1 && root.back() == '/') {
    root.pop_back();
  }
  const std::string clean = cleanRooted(name);
  return clean == "/" ? root : root + clean;
}

std::string readRootedFile(const CaddyTemplateEnv& env, const std::string& name) {
  const std::string path = rootedPath(env, name);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw TemplateError("open " + path + ": no such file or directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw TemplateError("open " + path + ": permission denied");
  }
  if (S_ISDIR(st.st_mode)) {
    throw TemplateError("read " + path + ": is a directory");
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

class RespHeaderObject final : public Object {
 public:
  explicit RespHeaderObject(runtime::Exchange& ex) : ex_(ex) {}
  [[nodiscard]] std::string typeName() const override { return "templates.WrappedHeader"; }
  [[nodiscard]] bool comparable() const override { return false; }  // it holds an http.Header
  [[nodiscard]] JsonForm json() const override {
    return {std::nullopt, {{"Header", headerValues(ex_.response.headers)}}};
  }
  std::optional<Value> get(std::string_view name, const Args& args) override {
    auto str = [&](size_t i) { return wantString(args[i], name); };
    if (name == "Add" || name == "Set") {
      if (args.size() != 2) {
        throw TemplateError("wrong number of args for " + std::string(name) + ": want 2 got " +
                            std::to_string(args.size()));
      }
      const std::string field = runtime::canonicalHeaderName(str(0));
      if (name == "Add") {
        ex_.response.headers.add(field, str(1));
      } else {
        ex_.response.headers.set(field, str(1));
      }
      return Value("");
    }
    if (name == "Del") {
      if (args.size() != 1) {
        throw TemplateError("wrong number of args for Del: want 1 got " + std::to_string(args.size()));
      }
      ex_.response.headers.remove(str(0));
      return Value("");
    }
    if (name == "Header") {
      return headerValues(ex_.response.headers);
    }
    if (name == "Get" && args.size() == 1) {
      return Value(std::string(ex_.response.headers.get(str(0))));
    }
    return std::nullopt;
  }

 private:
  runtime::Exchange& ex_;
};

// One execution: the dot value and the functions bound to it.
struct Run;

class ContextObject final : public Object {
 public:
  ContextObject(const CaddyTemplateEnv& env, List args, std::shared_ptr<Object> extra)
      : env_(env), args_(std::move(args)), extra_(std::move(extra)) {}
  [[nodiscard]] std::string typeName() const override { return "*templates.TemplateContext"; }
  [[nodiscard]] JsonForm json() const override {
    throw TemplateError("json: unsupported type: func() (io.ReadCloser, error)");  // .Req's GetBody
  }

  std::optional<Value> get(std::string_view name, const Args& args) override {
    runtime::Exchange& ex = *env_.ex;
    if (extra_) {
      if (auto v = extra_->get(name, args)) {
        return v;
      }
    }
    if (name == "Cookie") {
      if (args.size() != 1) {
        throw TemplateError("wrong number of args for Cookie: want 1 got " + std::to_string(args.size()));
      }
      return Value(requestCookie(ex, wantString(args[0], "Cookie")).value_or(""));
    }
    if (!args.empty()) {
      throw TemplateError(std::string(name) + " is not a method but has arguments");
    }
    if (name == "Args") {
      return makeList(args_);
    }
    if (name == "Req") {
      return makeRequestObject(ex, false);
    }
    if (name == "OriginalReq") {
      return makeRequestObject(ex, true);
    }
    if (name == "RespHeader") {
      return Value(std::shared_ptr<Object>(std::make_shared<RespHeaderObject>(ex)));
    }
    if (name == "RemoteIP") {
      return Value(ex.request.remoteIp);
    }
    if (name == "Host") {
      return Value(hostOnly(ex.request.host));
    }
    return std::nullopt;
  }

 private:
  // net.SplitHostPort's host, or the whole Host when it has no port (Caddy's .Host).
  static std::string hostOnly(const std::string& host) {
    if (!host.empty() && host[0] == '[') {
      const size_t close = host.find(']');
      return close == std::string::npos ? host : host.substr(1, close - 1);
    }
    const size_t colon = host.rfind(':');
    if (colon == std::string::npos) {
      return host;
    }
    if (host.find(':') != colon) {
      throw TemplateError("address " + host + ": too many colons in address");
    }
    return host.substr(0, colon);
  }

  const CaddyTemplateEnv& env_;
  List args_;
  std::shared_ptr<Object> extra_;
};

// strconv.Atoi's digits (as text, checked), or its error after `context`.
std::string parseGoAtoi(std::string_view s, const std::string& context) {
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    digits.remove_prefix(1);
  }
  const bool ok = !digits.empty() && digits.size() < 19 &&
                  digits.find_first_not_of("0123456789") == std::string_view::npos;
  if (!ok) {
    throw TemplateError(
        context + "strconv.Atoi: parsing \"" + std::string(s) + "\": " +
        (digits.size() >= 19 && digits.find_first_not_of("0123456789") == std::string_view::npos
             ? "value out of range"
             : "invalid syntax"));
  }
  return std::string(s[0] == '+' ? s.substr(1) : s);
}

void wantN(const Args& a, size_t n, const char* fn) {
  if (a.size() != n) {
    throw TemplateError(std::string("wrong number of args for ") + fn + ": want " + std::to_string(n) +
                        " got " + std::to_string(a.size()));
  }
}

struct Execution {
  const CaddyTemplateEnv& env;
  std::string name;
  TemplateSet set;
  FuncMap funcs;
  int depth;
};

std::string execute(const CaddyTemplateEnv& env, const std::string& name, const std::string& body, List args,
                    int depth, std::shared_ptr<Object> extra = nullptr);

void addCaddyFunctions(Execution& run) {
  const CaddyTemplateEnv& env = run.env;
  FuncMap& f = run.funcs;
  const int depth = run.depth;
  f["include"] = [&env, depth](Args& a) {
    if (a.empty()) {
      throw TemplateError("wrong number of args for include: want at least 1 got 0");
    }
    const std::string file = wantString(a[0], "include");
    if (depth >= kMaxIncludeDepth) {
      throw TemplateError("include: too deeply nested (" + std::to_string(kMaxIncludeDepth) + ")");
    }
    return Value(execute(env, file, readRootedFile(env, file), List(a.begin() + 1, a.end()), depth + 1));
  };
  f["import"] = [&run](Args& a) {
    wantN(a, 1, "import");
    const std::string file = wantString(a[0], "import");
    const std::string text = readRootedFile(run.env, file);
    parseTemplate(
        run.set, run.name, text, [&run](std::string_view n) { return run.funcs.contains(n); },
        run.env.delims);
    return Value("");
  };
  f["httpInclude"] = [&env, depth](Args& a) {
    wantN(a, 1, "httpInclude");
    const std::string uri = wantString(a[0], "httpInclude");
    if (!env.subrequest) {
      throw TemplateError("httpInclude: no server to serve a virtual request here");
    }
    // As Caddy 2.6.2: the level travels in a request field; a fourth level is a cycle.
    int level = 1;
    const std::string_view sent = env.ex->request.headers.get("Caddy-Templates-Include");
    if (!sent.empty()) {
      const std::string prev = parseGoAtoi(sent, "parsing Caddy-Templates-Include: ");
      if (std::stoll(prev) >= 3) {
        throw TemplateError("virtual request cycle");
      }
      level = static_cast<int>(std::stoll(prev)) + 1;
    }
    auto [status, body] = env.subrequest(uri, level);
    if (status >= 400) {
      throw TemplateError("http " + std::to_string(status));  // a plain error in 2.6.2: 500
    }
    return Value(execute(env, uri, body, {}, depth + 1));
  };
  f["listFiles"] = [&env](Args& a) {
    wantN(a, 1, "listFiles");
    const std::string path = rootedPath(env, wantString(a[0], "listFiles"));
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      throw TemplateError("open " + path + ": no such file or directory");
    }
    if (!S_ISDIR(st.st_mode)) {
      throw TemplateError(a[0].asString() + " is not a directory");
    }
    List names;
    if (DIR* d = ::opendir(path.c_str())) {
      while (const dirent* e = ::readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") {
          names.emplace_back(n);
        }
      }
      ::closedir(d);
    }
    return typed(makeList(std::move(names)), "[]string");
  };
  f["fileExists"] = [&env](Args& a) {
    wantN(a, 1, "fileExists");
    struct stat st {};
    return Value(::stat(rootedPath(env, wantString(a[0], "fileExists")).c_str(), &st) == 0);
  };
  f["env"] = [](Args& a) {
    wantN(a, 1, "env");
    const char* v = std::getenv(wantString(a[0], "env").c_str());
    return Value(v == nullptr ? "" : v);
  };
  f["placeholder"] = [&env](Args& a) {
    wantN(a, 1, "placeholder");
    std::string out;
    router::lookupPlaceholder(wantString(a[0], "placeholder"), *env.ex, out);
    return Value(out);
  };
  f["httpError"] = [](Args& a) -> Value {
    wantN(a, 1, "httpError");
    const int64_t status = wantInt(a[0], "httpError");
    // Go's WriteHeader takes 100..999 only (2.6.2 panics and drops the connection on any
    // other code): never write such a status line, answer the handler's own failure.
    if (status < 100 || status > 999) {
      throw HttpStatusError(500, "invalid status code " + std::to_string(status));
    }
    throw HttpStatusError(static_cast<int>(status), "HTTP " + std::to_string(status));
  };
  f["stripHTML"] = [](Args& a) {
    wantN(a, 1, "stripHTML");
    return Value(stripHtml(wantString(a[0], "stripHTML")));
  };
  f["markdown"] = [](Args& a) {
    wantN(a, 1, "markdown");
    return Value(renderMarkdown(strval(a[0])));
  };
  f["splitFrontMatter"] = [](Args& a) {
    wantN(a, 1, "splitFrontMatter");
    auto [meta, body] = splitFrontMatter(wantString(a[0], "splitFrontMatter"));
    return makeFrontMatterDoc(std::move(meta), std::move(body));
  };
  f["humanize"] = [](Args& a) {
    wantN(a, 2, "humanize");
    const std::string kind = wantString(a[0], "humanize");
    const std::string data = wantString(a[1], "humanize");
    const std::string type = kind.substr(0, kind.find(':'));
    if (type == "size") {
      uint64_t n = 0;
      auto [p, ec] = std::from_chars(data.data(), data.data() + data.size(), n);
      if (ec != std::errc() || p != data.data() + data.size() || data.empty()) {
        throw TemplateError("humanize: size cannot be parsed: strconv.ParseUint: parsing \"" + data +
                            "\": invalid syntax");
      }
      return Value(humanizeBytes(n));
    }
    if (type == "time") {
      // The layout is what follows the first colon, up to the next (strings.Split).
      const size_t colon = kind.find(':');
      std::string layout = "Mon, 02 Jan 2006 15:04:05 -0700";  // time.RFC1123Z
      if (colon != std::string::npos) {
        layout = kind.substr(colon + 1, kind.find(':', colon + 1) - colon - 1);
      }
      int64_t then = 0;
      try {
        then = goParseTime(layout, data, false);
      } catch (const TemplateError& e) {
        throw TemplateError(std::string("humanize: time cannot be parsed: ") + e.what());
      }
      return Value(humanizeTime(then, nowNanos()));
    }
    throw TemplateError("no know function was given");
  };
}

std::string execute(const CaddyTemplateEnv& env, const std::string& name, const std::string& body, List args,
                    int depth, std::shared_ptr<Object> extra) {
  Execution run{env, name, {}, baseFunctions(), depth};
  addCaddyFunctions(run);
  auto isFunc = [&run](std::string_view n) {
    if (sprigUnsupported(n)) {
      throw TemplateError("template: " + run.name + ": function \"" + std::string(n) +
                          "\" (Sprig) is not supported yet by gatehouse");
    }
    return run.funcs.contains(n);
  };
  parseTemplate(run.set, name, body, isFunc, env.delims);
  std::string out;
  Value dot(std::shared_ptr<Object>(std::make_shared<ContextObject>(env, std::move(args), std::move(extra))));
  executeTemplate(run.set, run.funcs, name, dot, out);
  return out;
}

}  // namespace

const FuncMap& baseFunctions() {
  static const FuncMap kBase = [] {
    FuncMap f;
    addGoBuiltins(f);
    addSprigStrings(f);
    addSprigCollections(f);
    addSprigLists(f);
    addSprigJson(f);
    addSprigMath(f);
    addSprigTime(f);
    addSprigDateModify(f);
    addSprigUrl(f);
    addSprigSemver(f);
    addSprigPasswords(f);
    addSprigAes(f);
    addSprigKeys(f);
    addSprigCerts(f);
    addSprigBase32(f);
    addSprigGoutils(f);
    addSprigTypes(f);
    addSprigMisc(f);
    addSprigRegex(f);
    return f;
  }();
  return kBase;
}

std::string executeCaddyTemplate(const CaddyTemplateEnv& env, const std::string& name,
                                 const std::string& body, List args, std::shared_ptr<Object> extra) {
  return execute(env, name, body, std::move(args), 0, std::move(extra));
}

}  // namespace gatehouse::templates
