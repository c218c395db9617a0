// Sprig's encoding, hash, path and random functions, and the list of Sprig names
// gatehouse does not implement (refused at parse time).

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <vector>

#include "handlers/base64.h"
#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

std::string hexDigest(const std::string& s, const EVP_MD* md) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> d{};
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), d.data(), &len, md, nullptr);
  std::string out;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", d[i]);
    out += buf;
  }
  return out;
}

// xstrings.Shuffle: the string's UTF-8 characters in random order.
std::string shuffleRunes(const std::string& s) {
  std::vector<std::string> runes;
  for (size_t i = 0; i < s.size();) {
    size_t n = 1;
    while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) {
      ++n;
    }
    runes.push_back(s.substr(i, n));
    i += n;
  }
  std::random_device rd;
  std::mt19937 gen(rd());
  std::shuffle(runes.begin(), runes.end(), gen);
  std::string out;
  for (const auto& r : runes) {
    out += r;
  }
  return out;
}

std::string randomFrom(const std::string& set, int64_t n) {
  if (n < 0 || n > 1000000) {
    throw TemplateError("random string length out of range");
  }
  std::random_device rd;
  std::uniform_int_distribution<size_t> dist(0, set.size() - 1);
  std::string out;
  for (int64_t i = 0; i < n; ++i) {
    out += set[dist(rd)];
  }
  return out;
}

// Go's path.Clean.
std::string cleanPath(const std::string& p) {
  if (p.empty()) {
    return ".";
  }
  const bool rooted = p[0] == '/';
  std::vector<std::string> parts;
  for (const auto& seg : goSplit(p, "/")) {
    const std::string& s = seg.asString();
    if (s.empty() || s == ".") {
      continue;
    }
    if (s == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(s);
      }
      continue;
    }
    parts.push_back(s);
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    out += (i > 0 ? "/" : "") + parts[i];
  }
  return out.empty() ? "." : out;
}

bool base64Char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '/';
}
bool newline(char c) {
  return c == '\n' || c == '\r';
}

// Where Go's base64.StdEncoding.DecodeString reports corrupt input (its quantum by quantum
// walk: a bad byte, a short final quantum, misplaced or missing padding, trailing bytes
// after padding); nullopt when it decodes.
std::optional<size_t> base64ErrorAt(std::string_view src) {
  size_t si = 0;
  while (si < src.size()) {
    for (size_t j = 0; j < 4; ++j) {
      if (si == src.size()) {
        if (j == 0) {
          return std::nullopt;
        }
        return si - j;
      }
      const char in = src[si++];
      if (base64Char(in)) {
        continue;
      }
      if (newline(in)) {
        --j;
        continue;
      }
      if (in != '=' || j < 2) {
        return si - 1;
      }
      if (j == 2) {  // a second '=' must follow
        while (si < src.size() && newline(src[si])) {
          ++si;
        }
        if (si == src.size()) {
          return src.size();
        }
        if (src[si] != '=') {
          return si - 1;
        }
        ++si;
      }
      while (si < src.size() && newline(src[si])) {
        ++si;
      }
      return si < src.size() ? std::optional<size_t>(si) : std::nullopt;
    }
  }
  return std::nullopt;
}

// os.ExpandEnv: $NAME, ${NAME} and the one-character shell names ($1, $*, ...).
std::string expandEnv(std::string_view s) {
  auto special = [](char c) {
    return std::string_view("*#$@!?-").find(c) != std::string_view::npos ||
           std::isdigit(static_cast<unsigned char>(c)) != 0;
  };
  auto word = [](char c) { return c == '_' || std::isalnum(static_cast<unsigned char>(c)) != 0; };
  std::string out;
  for (size_t j = 0; j < s.size(); ++j) {
    if (s[j] != '$' || j + 1 == s.size()) {
      out += s[j];
      continue;
    }
    std::string_view rest = s.substr(j + 1);
    std::string_view name;
    size_t width = 0;
    if (rest[0] == '{') {
      if (rest.size() > 2 && special(rest[1]) && rest[2] == '}') {
        name = rest.substr(1, 1);
        width = 3;
      } else {
        const size_t close = rest.find('}');
        width = close == std::string_view::npos ? 1 : close + 1;  // bad syntax eats "${" (or "${}")
        name = close == std::string_view::npos ? std::string_view() : rest.substr(1, close - 1);
      }
    } else if (special(rest[0])) {
      name = rest.substr(0, 1);
      width = 1;
    } else {
      while (width < rest.size() && word(rest[width])) {
        ++width;
      }
      name = rest.substr(0, width);
    }
    if (!name.empty()) {
      const char* v = std::getenv(std::string(name).c_str());
      out += v != nullptr ? v : "";
    } else if (width == 0) {
      out += '$';  // a '$' before no name stays
    }
    j += width;
  }
  return out;
}

}  // namespace

void addSprigMisc(FuncMap& f) {
  f["expandenv"] = [](Args& a) {
    wantArgs(a, 1, "expandenv");
    return Value(expandEnv(strval(a[0])));
  };
  f["b64enc"] = [](Args& a) {
    wantArgs(a, 1, "b64enc");
    return Value(handlers::base64Encode(strval(a[0])));
  };
  f["b64dec"] = [](Args& a) {
    wantArgs(a, 1, "b64dec");
    const std::string text = strval(a[0]);
    if (auto at = base64ErrorAt(text)) {
      return Value("illegal base64 data at input byte " + std::to_string(*at));  // Sprig returns the error
    }
    auto d = handlers::base64Decode(text);
    return Value(d ? *d : std::string("illegal base64 data"));
  };
  f["sha256sum"] = [](Args& a) {
    wantArgs(a, 1, "sha256sum");
    return Value(hexDigest(strval(a[0]), EVP_sha256()));
  };
  f["sha1sum"] = [](Args& a) {
    wantArgs(a, 1, "sha1sum");
    return Value(hexDigest(strval(a[0]), EVP_sha1()));
  };
  f["adler32sum"] = [](Args& a) {
    wantArgs(a, 1, "adler32sum");
    uint32_t s1 = 1;
    uint32_t s2 = 0;
    for (unsigned char c : strval(a[0])) {
      s1 = (s1 + c) % 65521;
      s2 = (s2 + s1) % 65521;
    }
    return Value(std::to_string((s2 << 16) | s1));
  };
  f["base"] = [](Args& a) {
    wantArgs(a, 1, "base");
    std::string p = strval(a[0]);
    while (p.size() > 1 && p.back() == '/') {
      p.pop_back();
    }
    if (p.empty()) {
      return Value(".");
    }
    const size_t slash = p.rfind('/');
    return Value(slash == std::string::npos || p == "/" ? p : p.substr(slash + 1));
  };
  f["dir"] = [](Args& a) {
    wantArgs(a, 1, "dir");
    const std::string p = strval(a[0]);
    const size_t slash = p.rfind('/');
    return Value(cleanPath(slash == std::string::npos ? "" : p.substr(0, slash + 1)));
  };
  f["clean"] = [](Args& a) {
    wantArgs(a, 1, "clean");
    return Value(cleanPath(strval(a[0])));
  };
  f["ext"] = [](Args& a) {
    wantArgs(a, 1, "ext");
    const std::string p = strval(a[0]);
    for (size_t i = p.size(); i > 0 && p[i - 1] != '/'; --i) {
      if (p[i - 1] == '.') {
        return Value(p.substr(i - 1));
      }
    }
    return Value("");
  };
  f["isAbs"] = [](Args& a) {
    wantArgs(a, 1, "isAbs");
    return Value(strval(a[0]).starts_with("/"));
  };
  f["uuidv4"] = [](Args& a) {
    wantArgs(a, 0, "uuidv4");
    std::random_device rd;
    std::array<unsigned char, 16> b{};
    for (auto& c : b) {
      c = static_cast<unsigned char>(rd());
    }
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                  b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                  b[14], b[15]);
    return Value(buf);
  };
  static const std::string kAlpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  static const std::string kDigits = "0123456789";
  f["randAlphaNum"] = [](Args& a) {
    wantArgs(a, 1, "randAlphaNum");
    return Value(randomFrom(kAlpha + kDigits, toInt64(a[0])));
  };
  f["randAlpha"] = [](Args& a) {
    wantArgs(a, 1, "randAlpha");
    return Value(randomFrom(kAlpha, toInt64(a[0])));
  };
  f["randNumeric"] = [](Args& a) {
    wantArgs(a, 1, "randNumeric");
    return Value(randomFrom(kDigits, toInt64(a[0])));
  };
  f["randAscii"] = [](Args& a) {
    wantArgs(a, 1, "randAscii");
    static const std::string kPrintable = [] {
      std::string s;
      for (char c = 32; c < 127; ++c) {
        s += c;
      }
      return s;
    }();
    return Value(randomFrom(kPrintable, toInt64(a[0])));
  };
  f["shuffle"] = [](Args& a) {
    wantArgs(a, 1, "shuffle");
    return Value(shuffleRunes(strval(a[0])));
  };
  f["hello"] = [](Args&) { return Value("Hello!"); };
  // filepath's functions are path's on Linux.
  for (const char* name : {"base", "clean", "dir", "ext", "isAbs"}) {
    std::string os = std::string("os") + name;
    os[2] = static_cast<char>(std::toupper(static_cast<unsigned char>(os[2])));
    f[os] = f[name];
  }
  f["fail"] = [](Args& a) -> Value {
    wantArgs(a, 1, "fail");
    throw TemplateError(strval(a[0]));
  };
}

bool sprigUnsupported(std::string_view name) {
  // Sprig v3 functions in Caddy 2.6.2's function map that gatehouse lacks.
  // getHostByName would block the event loop on a DNS lookup.
  static constexpr std::string_view kMissing[] = {"getHostByName"};
  return std::find(std::begin(kMissing), std::end(kMissing), name) != std::end(kMissing);
}

}  // namespace gatehouse::templates
