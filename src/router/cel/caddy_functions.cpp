#include "router/cel/caddy_functions.h"

#include <re2/re2.h>

#include <charconv>
#include <chrono>

#include "provision/provision_error.h"
#include "router/cel/evaluator.h"
#include "router/cel/lexer.h"
#include "router/cel/macros.h"
#include "router/cel/time_values.h"
#include "router/matcher_factories.h"
#include "router/matchers.h"
#include "router/placeholders.h"
#include "router/var_types.h"

namespace gatehouse::router::cel {

using config::Json;

namespace {

// The value types of Caddy 2.6.2's replacer for the keys whose value is not a string.
PlaceholderType placeholderType(std::string_view key) {
  static constexpr std::string_view kInts[] = {"http.request.port",
                                               "http.request.remote.port",
                                               "http.error.status_code",
                                               "http.reverse_proxy.status_code",
                                               "http.reverse_proxy.upstream.requests",
                                               "http.reverse_proxy.upstream.max_requests",
                                               "http.reverse_proxy.upstream.fails"};
  static constexpr std::string_view kDurations[] = {
      "http.request.duration", "http.reverse_proxy.upstream.latency", "http.reverse_proxy.upstream.duration",
      "http.reverse_proxy.duration", "http.time_until_shutdown"};
  for (std::string_view k : kInts) {
    if (k == key) {
      return PlaceholderType::Int;
    }
  }
  for (std::string_view k : kDurations) {
    if (k == key) {
      return PlaceholderType::Duration;
    }
  }
  if (key == "http.request.tls.resumed" || key == "http.shutting_down") {
    return PlaceholderType::Bool;
  }
  if (key == "time.now" || key == "http.vars.start_time") {
    return PlaceholderType::Timestamp;
  }
  return PlaceholderType::String;
}

// The port of a Host value ("example.com:8080", "[::1]:80"), or "".
std::string hostPort(std::string_view host) {
  size_t colon = host.rfind(':');
  size_t bracket = host.rfind(']');
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && bracket > colon)) {
    return "";
  }
  if (bracket == std::string_view::npos && host.find(':') != colon) {
    return "";  // a bare IPv6 address
  }
  return std::string(host.substr(colon + 1));
}

Value typedPlaceholder(PlaceholderType type, std::string_view key, const runtime::Exchange& ex) {
  if (type == PlaceholderType::Timestamp && (key == "time.now" || ex.var("start_time") == nullptr)) {
    // Go's time.Time values: now, or the var Caddy sets when the request arrives.
    auto now = std::chrono::system_clock::now().time_since_epoch();
    if (key != "time.now") {
      now -= std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::steady_clock::now() - ex.request.start);
    }
    return Value::timestamp(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
  }
  if (key == "http.request.duration") {
    auto spent = std::chrono::steady_clock::now() - ex.request.start;
    return Value::duration(std::chrono::duration_cast<std::chrono::nanoseconds>(spent).count());
  }
  std::string text;
  if (key == "http.request.port") {
    // Caddy 2.6.2 reads the port from the Host header only: "" (a string) when it has none.
    text = hostPort(ex.request.host);
    if (text.empty()) {
      return Value::string("");
    }
  } else if (!lookupPlaceholder(key, ex, text) || placeholderIsNil(key, ex)) {
    // Caddy's replacer returns nil for an unknown key, an unset var and a map output
    // nothing matched: CEL sees null, not "".
    return Value::null();
  }
  if (key.starts_with("http.vars.")) {
    // a number or boolean the vars handler set keeps its JSON type (Go: float64, bool)
    VarType vt = varType(ex, key.substr(10));
    if (vt == VarType::Number) {
      double d = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
      if (ec == std::errc() && end == text.data() + text.size()) {
        return Value::dbl(d);
      }
    } else if (vt == VarType::Bool) {
      return Value::boolean(text == "true");
    }
  }
  switch (type) {
    case PlaceholderType::Int: {
      int64_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc() || end != text.data() + text.size()) {
        return text.empty() ? Value::null() : Value::string(std::move(text));
      }
      return Value::integer(n);
    }
    case PlaceholderType::Bool:
      return Value::boolean(text == "true");
    case PlaceholderType::Duration: {
      if (text.empty()) {
        return Value::null();  // {http.time_until_shutdown} with nothing scheduled is nil
      }
      auto d = parseDuration(text);
      return d ? Value::duration(*d) : Value::string(std::move(text));
    }
    default:
      return Value::string(std::move(text));
  }
}

Json stringsJson(std::span<const Value> args, size_t from = 0) {
  Json out = Json::array();
  for (size_t i = from; i < args.size(); ++i) {
    out.push_back(args[i].s);
  }
  return out;
}

// A map literal's value as Caddy's CELValueToMapStrList reads it: a string or a list.
Json mapStrList(const Value& map) {
  Json out = Json::object();
  for (const auto& [k, v] : *map.map) {
    if (v.kind == Kind::List) {
      Json list = Json::array();
      for (const auto& e : *v.list) {
        list.push_back(e.s);
      }
      out[k.s] = list;
    } else {
      out[k.s] = Json::array({v.s});
    }
  }
  return out;
}

// The JSON config of the matcher module a matcher function stands for.
Json matcherJson(const std::string& name, std::span<const Value> args) {
  if (name == "path_regexp") {
    return args.size() == 1 ? Json{{"pattern", args[0].s}}
                            : Json{{"name", args[0].s}, {"pattern", args[1].s}};
  }
  if (name == "header_regexp") {
    Json re =
        args.size() == 2 ? Json{{"pattern", args[1].s}} : Json{{"name", args[0].s}, {"pattern", args[2].s}};
    return Json{{args[args.size() == 2 ? 0 : 1].s, re}};
  }
  if (name == "protocol") {
    return args[0].s;
  }
  if (name == "header" || name == "query") {
    return mapStrList(args[0]);
  }
  if (name == "remote_ip") {
    if (!args.empty() && args[0].s == "forwarded") {
      return Json{{"forwarded", true}, {"ranges", stringsJson(args, 1)}};
    }
    return Json{{"ranges", stringsJson(args)}};
  }
  if (name == "file") {
    if (args.size() == 1 && args[0].kind == Kind::Map) {
      Json raw = mapStrList(args[0]);
      Json out = Json::object();
      for (const auto& [k, v] : raw.items()) {
        // root and try_policy take one string; try_files and split_path lists.
        out[k] = (k == "root" || k == "try_policy") ? v[0] : v;
      }
      return out;
    }
    return args.empty() ? Json::object() : Json{{"try_files", stringsJson(args)}};
  }
  return stringsJson(args);  // host, path, method
}

// Only the matcher names 2.6.2 registers as CEL functions reach here (checked at parse time).
std::unique_ptr<runtime::Matcher> buildMatcher(const std::string& name, const Json& value,
                                               const std::string& path) {
  return compileMatcher(name, value, path);
}

// Go's regexp/syntax error text for RE2's error code.
std::string goRegexpError(const re2::RE2& re) {
  switch (re.error_code()) {
    case re2::RE2::ErrorMissingBracket:
      return "missing closing ]";
    case re2::RE2::ErrorMissingParen:
      return "missing closing )";
    case re2::RE2::ErrorBadEscape:
      return "invalid escape sequence";
    case re2::RE2::ErrorBadCharRange:
      return "invalid character class range";
    case re2::RE2::ErrorBadCharClass:
      return "invalid character class";
    case re2::RE2::ErrorRepeatArgument:
      return "missing argument to repetition operator";
    case re2::RE2::ErrorRepeatSize:
      return "invalid repeat count";
    case re2::RE2::ErrorRepeatOp:
      return "invalid nested repetition operator";
    case re2::RE2::ErrorBadPerlOp:
      return "invalid or unsupported Perl syntax";
    case re2::RE2::ErrorTrailingBackslash:
      return "trailing backslash at end of expression";
    case re2::RE2::ErrorBadNamedCapture:
      return "invalid named capture";
    case re2::RE2::ErrorPatternTooLarge:
      return "expression too large";
    default:
      return re.error();
  }
}

bool hasPlaceholder(const Node& n) {
  if (n.kind == NodeKind::Call && n.name == kPlaceholderFunction) {
    return true;
  }
  for (const auto& a : n.args) {
    if (hasPlaceholder(*a)) {
      return true;
    }
  }
  return false;
}

// What cel-go's planner holds as a constant: a literal, or a list or map of constants (a
// conversion of a constant becomes a literal when folded below).
bool constantNode(const Node& n) {
  if (n.kind == NodeKind::Literal) {
    return true;
  }
  if (n.kind != NodeKind::List && n.kind != NodeKind::Map) {
    return false;
  }
  for (const auto& a : n.args) {
    if (!constantNode(*a)) {
      return false;
    }
  }
  return true;
}

bool conversionFunction(std::string_view name) {
  static constexpr std::string_view kNames[] = {"bool", "bytes",  "double",    "duration", "dyn",
                                                "int",  "string", "timestamp", "type",     "uint"};
  for (std::string_view k : kNames) {
    if (k == name) {
      return true;
    }
  }
  return false;
}

// cel-go's OptOptimize folds a type conversion of a constant when it plans the program, so
// int("x"), uint(-1), string(b"\xff") stop start-up with the conversion's error.
void foldConversion(Node& n, const std::string& path) {
  Value v = Evaluator(nullptr).eval(n);
  if (v.isError()) {
    const bool text = n.args[0]->kind == NodeKind::Literal && n.args[0]->literal.kind == Kind::String;
    if (text && (n.name == "timestamp" || n.name == "duration")) {
      v.s = std::string("type conversion error from 'string' to '") +
            (n.name == "timestamp" ? "google.protobuf.Timestamp'" : "google.protobuf.Duration'");
    }
    throw provision::ProvisionError(path, "compiling CEL program: " + v.s);
  }
  n.kind = NodeKind::Literal;
  n.literal = std::move(v);
  n.args.clear();
  n.overloads.clear();
}

void compileMatcher(Node& n, const std::string& path) {
  for (const auto& a : n.args) {
    if (hasPlaceholder(*a)) {
      return;  // built per request
    }
  }
  Evaluator constant(nullptr);
  std::vector<Value> args;
  for (const auto& a : n.args) {
    args.push_back(constant.eval(*a));
  }
  auto call = std::make_shared<MatcherCall>();
  call->matcher = buildMatcher(n.name, matcherJson(n.name, args), path + " (" + n.name + ")");
  n.matcherCall = std::move(call);
}

}  // namespace

void compileCaddyFunctions(Node& n, const std::string& path) {
  for (auto& a : n.args) {
    compileCaddyFunctions(*a, path);
  }
  if (n.kind != NodeKind::Call) {
    return;
  }
  if (n.matcher) {
    compileMatcher(n, path);
  } else if (n.name == kPlaceholderFunction && n.args[1]->kind == NodeKind::Literal) {
    n.placeholder = placeholderType(n.args[1]->literal.s);
  } else if (n.name == "matches" && n.args[1]->kind == NodeKind::Literal &&
             n.args[1]->literal.kind == Kind::String) {
    auto re = std::make_shared<re2::RE2>(n.args[1]->literal.s, re2::RE2::Quiet);
    if (!re->ok()) {
      // cel-go compiles constant patterns when it plans the program.
      throw provision::ProvisionError(path, "compiling CEL program: error parsing regexp: " +
                                                goRegexpError(*re) + ": `" + re->error_arg() + "`");
    }
    n.regex = std::move(re);
  } else if (!n.receiver && n.args.size() == 1 && conversionFunction(n.name) && constantNode(*n.args[0])) {
    foldConversion(n, path);
  }
}

Value evalMatcherCall(const Node& call, std::span<const Value> args, runtime::Exchange& ex) {
  if (call.matcherCall) {
    return Value::boolean(call.matcherCall->matcher->match(ex));
  }
  for (const auto& a : args) {
    if (a.kind == Kind::Map || a.kind == Kind::List) {
      for (const auto& e : a.kind == Kind::List ? *a.list : ValueList{}) {
        if (e.kind != Kind::String) {
          return Value::error("unsupported value type in matcher input");
        }
      }
    } else if (a.kind != Kind::String) {
      return Value::error("matcher argument is not a string: " + std::string(typeName(a.kind)));
    }
  }
  try {
    auto matcher = buildMatcher(call.name, matcherJson(call.name, args), call.name);
    return Value::boolean(matcher->match(ex));
  } catch (const std::exception& e) {
    return Value::error(e.what());
  }
}

Value placeholderValue(const Node& call, const Value& key, const runtime::Exchange& ex) {
  if (key.kind != Kind::String) {
    return Value::error("invalid placeholder variable name of type '" + std::string(typeName(key.kind)) +
                        "'");
  }
  PlaceholderType type = call.args[1]->kind == NodeKind::Literal ? call.placeholder : placeholderType(key.s);
  return typedPlaceholder(type, key.s, ex);
}

}  // namespace gatehouse::router::cel
