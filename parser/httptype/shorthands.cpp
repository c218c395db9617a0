// Placeholder shorthands of the Caddyfile ({host}, {path.0}, {re.name.1} ...) expanded to
// Caddy's full placeholder names (Caddy's ShorthandReplacer). Applied to every token of a
// server block before any directive or matcher reads it, so directives only ever see full
// names (which is also why `map` can recognise an output that was a shorthand).

#include <array>
#include <string_view>

#include "httptype/site_block.h"

namespace gatehouse::parser {
namespace {

struct Shorthand {
  std::string_view from;
  std::string_view to;
};

// Fixed shorthands. Each is "{...}" with a single closing brace, so at most one can match at
// a position and the first closing brace decides which.
constexpr std::array kSimple{
    Shorthand{"{host}", "{http.request.host}"},
    Shorthand{"{hostport}", "{http.request.hostport}"},
    Shorthand{"{port}", "{http.request.port}"},
    Shorthand{"{orig_method}", "{http.request.orig_method}"},
    Shorthand{"{orig_uri}", "{http.request.orig_uri}"},
    Shorthand{"{orig_path}", "{http.request.orig_uri.path}"},
    Shorthand{"{orig_dir}", "{http.request.orig_uri.path.dir}"},
    Shorthand{"{orig_file}", "{http.request.orig_uri.path.file}"},
    Shorthand{"{orig_query}", "{http.request.orig_uri.query}"},
    Shorthand{"{orig_?query}", "{http.request.orig_uri.prefixed_query}"},
    Shorthand{"{method}", "{http.request.method}"},
    Shorthand{"{uri}", "{http.request.uri}"},
    Shorthand{"{%uri}", "{http.request.uri_escaped}"},
    Shorthand{"{path}", "{http.request.uri.path}"},
    Shorthand{"{%path}", "{http.request.uri.path_escaped}"},
    Shorthand{"{dir}", "{http.request.uri.path.dir}"},
    Shorthand{"{file}", "{http.request.uri.path.file}"},
    Shorthand{"{query}", "{http.request.uri.query}"},
    Shorthand{"{%query}", "{http.request.uri.query_escaped}"},
    Shorthand{"{?query}", "{http.request.uri.prefixed_query}"},
    Shorthand{"{remote}", "{http.request.remote}"},
    Shorthand{"{remote_host}", "{http.request.remote.host}"},
    Shorthand{"{remote_port}", "{http.request.remote.port}"},
    Shorthand{"{scheme}", "{http.request.scheme}"},
    Shorthand{"{uuid}", "{http.request.uuid}"},
    Shorthand{"{tls_cipher}", "{http.request.tls.cipher_suite}"},
    Shorthand{"{tls_version}", "{http.request.tls.version}"},
    Shorthand{"{tls_client_fingerprint}", "{http.request.tls.client.fingerprint}"},
    Shorthand{"{tls_client_issuer}", "{http.request.tls.client.issuer}"},
    Shorthand{"{tls_client_serial}", "{http.request.tls.client.serial}"},
    Shorthand{"{tls_client_subject}", "{http.request.tls.client.subject}"},
    Shorthand{"{tls_client_certificate_pem}", "{http.request.tls.client.certificate_pem}"},
    Shorthand{"{tls_client_certificate_der_base64}", "{http.request.tls.client.certificate_der_base64}"},
    Shorthand{"{upstream_hostport}", "{http.reverse_proxy.upstream.hostport}"},
    Shorthand{"{client_ip}", "{http.vars.client_ip}"},
};

// Parameterized shorthands "{<prefix>.<key>}": the key is word characters and '-' (and '.'
// where the full placeholder is itself dotted, as regexp captures are). Applied in this
// order, one pass each, after the fixed ones.
struct Parameterized {
  std::string_view prefix;  // "{header."
  std::string_view to;      // "{http.request.header."
  bool dots;
};

constexpr std::array kParameterized{
    Parameterized{"{header.", "{http.request.header.", false},
    Parameterized{"{cookie.", "{http.request.cookie.", false},
    Parameterized{"{labels.", "{http.request.host.labels.", false},
    Parameterized{"{file.", "{http.request.uri.path.file.", false},
    Parameterized{"{path.", "{http.request.uri.path.", false},
    Parameterized{"{query.", "{http.request.uri.query.", false},
    Parameterized{"{re.", "{http.regexp.", true},
    Parameterized{"{vars.", "{http.vars.", false},
    Parameterized{"{rp.", "{http.reverse_proxy.", true},
    Parameterized{"{resp.", "{http.intercept.", true},
    Parameterized{"{err.", "{http.error.", true},
    Parameterized{"{file_match.", "{http.matchers.file.", false},
};

bool isKeyChar(char c, bool dots) {
  // Go's \w is ASCII-only.
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-' ||
         (dots && c == '.');
}

std::string replaceSimple(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      size_t close = text.find('}', i);
      if (close != std::string::npos) {
        std::string_view candidate(text.data() + i, close - i + 1);
        bool replaced = false;
        for (const auto& s : kSimple) {
          if (s.from == candidate) {
            out += s.to;
            i = close + 1;
            replaced = true;
            break;
          }
        }
        if (replaced) {
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

// Leftmost, non-overlapping matches of "<prefix>[key chars]*}", as regexp.ReplaceAllString.
std::string replaceParameterized(const std::string& text, const Parameterized& p) {
  if (text.find(p.prefix) == std::string::npos) {
    return text;
  }
  std::string out;
  out.reserve(text.size() + 16);
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, p.prefix.size(), p.prefix) == 0) {
      size_t end = i + p.prefix.size();
      while (end < text.size() && isKeyChar(text[end], p.dots)) {
        ++end;
      }
      if (end < text.size() && text[end] == '}') {
        out += p.to;
        out.append(text, i + p.prefix.size(), end - (i + p.prefix.size()));
        out += '}';
        i = end + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace

void replaceShorthands(std::vector<Token>& tokens) {
  for (Token& token : tokens) {
    // Cheap skip: every shorthand has an opening brace.
    if (token.text.find('{') == std::string::npos) {
      continue;
    }
    std::string text = replaceSimple(token.text);
    for (const auto& p : kParameterized) {
      text = replaceParameterized(text, p);
    }
    token.text = std::move(text);
  }
}

}  // namespace gatehouse::parser
