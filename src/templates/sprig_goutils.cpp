// Sprig's functions over Masterminds/goutils: wrap / wrapWith (WrapCustom) and abbrevboth
// (AbbreviateFull). Byte offsets, as goutils counts them.

#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

// goutils.WrapCustom: breaks at the last space within `width`; a longer word is cut at
// `width` when `wrapLongWords`, else kept whole up to its next space.
std::string wrapCustom(const std::string& str, int64_t width, std::string newline, bool wrapLongWords) {
  if (str.empty()) {
    return "";
  }
  if (newline.empty()) {
    newline = "\n";
  }
  const size_t w = static_cast<size_t>(std::max<int64_t>(width, 1));
  size_t offset = 0;
  std::string out;
  while (str.size() - offset > w) {
    if (str[offset] == ' ') {
      ++offset;
      continue;
    }
    const size_t space = str.substr(offset, w + 1).rfind(' ');
    if (space != std::string::npos) {
      out += str.substr(offset, space) + newline;
      offset += space + 1;
    } else if (wrapLongWords) {
      out += str.substr(offset, w) + newline;
      offset += w;
    } else {
      const size_t next = str.find(' ', offset + w);
      if (next == std::string::npos) {
        out += str.substr(offset);
        offset = str.size();
      } else {
        out += str.substr(offset, next - offset) + newline;
        offset = next + 1;
      }
    }
  }
  return out + str.substr(offset);
}

// goutils.AbbreviateFull; its errors give "" (Sprig drops them).
std::string abbreviateFull(const std::string& str, int64_t offset, int64_t maxWidth) {
  const auto len = static_cast<int64_t>(str.size());
  if (str.empty() || maxWidth < 4) {
    return "";
  }
  if (len <= maxWidth) {
    return str;
  }
  offset = std::min(offset, len);
  if (len - offset < maxWidth - 3) {
    offset = len - (maxWidth - 3);
  }
  if (offset <= 4) {
    return str.substr(0, static_cast<size_t>(maxWidth - 3)) + "...";
  }
  if (maxWidth < 7) {
    return "";
  }
  if (offset + maxWidth - 3 < len) {
    return "..." + abbreviateFull(str.substr(static_cast<size_t>(offset)), 0, maxWidth - 3);
  }
  return "..." + str.substr(static_cast<size_t>(len - (maxWidth - 3)));
}

}  // namespace

void addSprigGoutils(FuncMap& f) {
  f["wrap"] = [](Args& a) {
    wantArgs(a, 2, "wrap");
    return Value(wrapCustom(strval(a[1]), toInt64(a[0]), "", false));
  };
  f["wrapWith"] = [](Args& a) {
    wantArgs(a, 3, "wrapWith");
    return Value(wrapCustom(strval(a[2]), toInt64(a[0]), strval(a[1]), true));
  };
  f["abbrevboth"] = [](Args& a) {
    wantArgs(a, 3, "abbrevboth");
    const int64_t left = toInt64(a[0]);
    const int64_t right = toInt64(a[1]);
    const std::string s = strval(a[2]);
    if (right < 4 || (left > 0 && right < 7)) {
      return Value(s);
    }
    return Value(abbreviateFull(s, left, right));
  };
}

}  // namespace gatehouse::templates
