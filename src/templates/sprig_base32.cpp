// Sprig's b32enc / b32dec: Go's base32.StdEncoding (RFC 4648 alphabet, '=' padding), with
// Go's decoding error positions; b32dec returns the error text as its value, as Sprig does.

#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string encode(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); i += 5) {
    uint64_t block = 0;
    const size_t n = std::min<size_t>(5, in.size() - i);
    for (size_t k = 0; k < 5; ++k) {
      block = (block << 8) | (k < n ? static_cast<unsigned char>(in[i + k]) : 0);
    }
    static constexpr size_t kChars[] = {0, 2, 4, 5, 7, 8};  // output characters per input length
    for (size_t k = 0; k < 8; ++k) {
      out += k < kChars[n] ? kAlphabet[(block >> (35 - 5 * k)) & 31] : '=';
    }
  }
  return out;
}

int value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= '2' && c <= '7') {
    return c - '2' + 26;
  }
  return -1;
}

struct Corrupt {
  size_t at;
};

// Go's Encoding.decode over the input with newlines removed.
std::string decode(const std::string& raw) {
  std::string src;
  for (char c : raw) {
    if (c != '\r' && c != '\n') {
      src += c;
    }
  }
  const size_t olen = src.size();
  size_t pos = 0;
  std::string out;
  bool end = false;
  while (pos < olen && !end) {
    int dbuf[8] = {};
    size_t dlen = 8;
    for (size_t j = 0; j < 8;) {
      const size_t left = olen - pos;
      if (left == 0) {
        throw Corrupt{olen - j};
      }
      const char in = src[pos++];
      const size_t rest = olen - pos;
      if (in == '=' && j >= 2 && rest < 8) {
        if (rest + j < 7) {
          throw Corrupt{olen};
        }
        for (size_t k = 0; k < 7 - j; ++k) {
          if (rest > k && src[pos + k] != '=') {
            throw Corrupt{pos + k - 1};
          }
        }
        dlen = j;
        end = true;
        if (dlen == 1 || dlen == 3 || dlen == 6) {
          throw Corrupt{pos - 1};
        }
        break;
      }
      dbuf[j] = value(in);
      if (dbuf[j] < 0) {
        throw Corrupt{pos - 1};
      }
      ++j;
    }
    uint64_t block = 0;
    for (int d : dbuf) {
      block = (block << 5) | static_cast<uint64_t>(d);
    }
    static constexpr size_t kBytes[] = {0, 0, 1, 0, 2, 3, 0, 4, 5};  // bytes per dlen characters
    for (size_t k = 0; k < kBytes[dlen]; ++k) {
      out += static_cast<char>((block >> (32 - 8 * k)) & 0xff);
    }
  }
  return out;
}

}  // namespace

void addSprigBase32(FuncMap& f) {
  f["b32enc"] = [](Args& a) {
    if (a.size() != 1) {
      throw TemplateError("wrong number of args for b32enc: want 1 got " + std::to_string(a.size()));
    }
    return Value(encode(strval(a[0])));
  };
  f["b32dec"] = [](Args& a) {
    if (a.size() != 1) {
      throw TemplateError("wrong number of args for b32dec: want 1 got " + std::to_string(a.size()));
    }
    try {
      return Value(decode(strval(a[0])));
    } catch (const Corrupt& c) {
      return Value("illegal base32 data at input byte " + std::to_string(c.at));
    }
  };
}

}  // namespace gatehouse::templates
