// Masterminds/semver v3 as Sprig 3.2 uses it. The grammar follows the library's regular
// expressions (kept as regexes, through RE2 like Go's regexp, so odd inputs are accepted or
// refused as the library does).

#include "templates/semver.h"

#include <re2/re2.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string_view>

#include "templates/value.h"

namespace gatehouse::templates {

namespace {

// The library's version and constraint grammar, in Go's regexp syntax; RE2 matches it in
// linear time (a backtracking matcher explodes on "1111...!" against the constraint grammar).
const std::string kSemVer =
    R"(v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?)";
const std::string kConstraintVer =
    R"(v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?)";
const std::string kOps = R"(=||!=|>|<|>=|=>|<=|=<|~|~>|\^)";

const RE2& versionRe() {
  static const RE2 re("^" + kSemVer + "$");
  return re;
}
const RE2& constraintRe() {
  static const RE2 re(R"(^\s*()" + kOps + R"()\s*()" + kConstraintVer + R"()\s*$)");
  return re;
}
const RE2& findConstraintRe() {
  static const RE2 re("(" + kOps + R"()\s*()" + kConstraintVer + ")");
  return re;
}
const RE2& validConstraintRe() {
  static const RE2 re(R"(^(\s*()" + kOps + R"()\s*()" + kConstraintVer + R"()\s*\,?)+$)");
  return re;
}
const RE2& rangeRe() {
  static const RE2 re(R"(\s*()" + kConstraintVer + R"()\s+-\s+()" + kConstraintVer + R"()\s*)");
  return re;
}

// Submatches of `re` in `text` from `pos` (whole match first, "" for unmatched groups);
// `end` is where the whole match ends.
bool match(const RE2& re, std::string_view text, size_t pos, RE2::Anchor anchor,
           std::vector<std::string>& groups, size_t* end = nullptr) {
  std::vector<re2::StringPiece> pieces(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1);
  if (!re.Match(re2::StringPiece(text.data(), text.size()), pos, text.size(), anchor, pieces.data(),
                static_cast<int>(pieces.size()))) {
    return false;
  }
  groups.clear();
  for (const auto& p : pieces) {
    groups.emplace_back(p.data() != nullptr ? std::string(p.data(), p.size()) : std::string());
  }
  if (end != nullptr) {
    *end = static_cast<size_t>(pieces[0].data() - text.data()) + pieces[0].size();
  }
  return true;
}

// Go's FindAllStringSubmatch (an empty match moves on by one byte).
std::vector<std::vector<std::string>> findAll(const RE2& re, std::string_view text) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> groups;
  size_t pos = 0;
  size_t end = 0;
  while (pos <= text.size() && match(re, text, pos, RE2::UNANCHORED, groups, &end)) {
    pos = groups[0].empty() ? end + 1 : end;
    out.push_back(groups);
  }
  return out;
}

uint64_t parseSegment(const std::string& digits) {
  errno = 0;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(digits.c_str(), &end, 10);
  if (errno == ERANGE) {
    throw TemplateError("Error parsing version segment: strconv.ParseUint: parsing \"" + digits +
                        "\": value out of range");
  }
  return n;
}

bool allDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string> splitDots(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = s.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(s.substr(start, dot - start));
  }
  parts.push_back(s.substr(start));
  return parts;
}

int comparePrePart(const std::string& s, const std::string& o) {
  if (s == o) {
    return 0;
  }
  if (s.empty()) {
    return -1;
  }
  if (o.empty()) {
    return 1;
  }
  const bool sNum = allDigits(s);
  const bool oNum = allDigits(o);
  if (!sNum && !oNum) {
    return s > o ? 1 : -1;
  }
  if (!oNum) {
    return -1;  // numbers sort before words
  }
  if (!sNum) {
    return 1;
  }
  return std::strtoull(s.c_str(), nullptr, 10) > std::strtoull(o.c_str(), nullptr, 10) ? 1 : -1;
}

int comparePrerelease(const std::string& a, const std::string& b) {
  const auto sa = splitDots(a);
  const auto sb = splitDots(b);
  for (size_t i = 0; i < std::max(sa.size(), sb.size()); ++i) {
    const int d = comparePrePart(i < sa.size() ? sa[i] : "", i < sb.size() ? sb[i] : "");
    if (d != 0) {
      return d;
    }
  }
  return 0;
}

// One parsed constraint: an operator, its version, and which parts were wildcards/missing.
struct Constraint {
  std::string op;
  SemVersion con;
  bool minorDirty = false, patchDirty = false, dirty = false;
};

bool isX(const std::string& s) {
  return s == "x" || s == "X" || s == "*";
}

Constraint parseConstraint(const std::string& c) {
  Constraint out;
  std::vector<std::string> m;
  if (!match(constraintRe(), c, 0, RE2::ANCHOR_BOTH, m)) {
    throw TemplateError("improper constraint: " + c);
  }
  out.op = m[1];
  const std::string major = m[3], minor = m[4], patch = m[5], pre = m[6];
  std::string ver = m[2];
  if (isX(major) || major.empty()) {
    ver = "0.0.0";
    out.dirty = true;
  } else if (minor.empty() || isX(minor.substr(1))) {
    out.minorDirty = out.dirty = true;
    ver = major + ".0.0" + pre;
  } else if (patch.empty() || isX(patch.substr(1))) {
    out.patchDirty = out.dirty = true;
    ver = major + minor + ".0" + pre;
  }
  try {
    out.con = parseSemVersion(ver);
  } catch (const TemplateError&) {
    throw TemplateError("constraint Parser Error");
  }
  return out;
}

bool tilde(const SemVersion& v, const Constraint& c) {
  if (!v.pre.empty() && c.con.pre.empty()) {
    return false;
  }
  if (v.compare(c.con) < 0) {
    return false;
  }
  // ~0.0.0 accepts everything.
  if (c.con.major == 0 && c.con.minor == 0 && c.con.patch == 0 && !c.minorDirty && !c.patchDirty) {
    return true;
  }
  if (v.major != c.con.major) {
    return false;
  }
  return v.minor == c.con.minor || c.minorDirty;
}

bool caret(const SemVersion& v, const Constraint& c) {
  if (!v.pre.empty() && c.con.pre.empty()) {
    return false;
  }
  if (v.compare(c.con) < 0) {
    return false;
  }
  if (c.con.major > 0 || c.minorDirty) {
    return v.major == c.con.major;
  }
  if (v.major > 0) {
    return false;
  }
  if (c.con.minor > 0 || c.patchDirty) {
    return v.minor == c.con.minor;
  }
  if (v.minor > 0) {
    return false;
  }
  return v.patch == c.con.patch;
}

bool notEqual(const SemVersion& v, const Constraint& c) {
  if (c.dirty) {
    if (!v.pre.empty() && c.con.pre.empty()) {
      return false;
    }
    if (c.con.major != v.major) {
      return true;
    }
    if (c.con.minor != v.minor && !c.minorDirty) {
      return true;
    }
    if (c.minorDirty) {
      return false;
    }
    if (c.con.patch != v.patch && !c.patchDirty) {
      return true;
    }
    if (c.patchDirty) {
      return (!v.pre.empty() || !c.con.pre.empty()) && comparePrerelease(v.pre, c.con.pre) != 0;
    }
  }
  return v.compare(c.con) != 0;
}

bool greaterThan(const SemVersion& v, const Constraint& c) {
  if (!v.pre.empty() && c.con.pre.empty()) {
    return false;
  }
  if (!c.dirty) {
    return v.compare(c.con) == 1;
  }
  if (v.major != c.con.major) {
    return v.major > c.con.major;
  }
  if (c.minorDirty) {
    return false;  // >11 needs 12 or more
  }
  if (c.patchDirty) {
    return v.minor > c.con.minor;  // >11.1 needs 11.2 or more
  }
  return v.compare(c.con) == 1;
}

bool lessThanEqual(const SemVersion& v, const Constraint& c) {
  if (!v.pre.empty() && c.con.pre.empty()) {
    return false;
  }
  if (!c.dirty) {
    return v.compare(c.con) <= 0;
  }
  if (v.major > c.con.major) {
    return false;
  }
  return !(v.major == c.con.major && v.minor > c.con.minor && !c.minorDirty);
}

bool check(const SemVersion& v, const Constraint& c) {
  const std::string& op = c.op;
  if (op.empty() || op == "=") {
    if (!v.pre.empty() && c.con.pre.empty()) {
      return false;
    }
    return c.dirty ? tilde(v, c) : v.compare(c.con) == 0;
  }
  if (op == "!=") {
    return notEqual(v, c);
  }
  if (op == ">") {
    return greaterThan(v, c);
  }
  if (op == "<") {
    return !(!v.pre.empty() && c.con.pre.empty()) && v.compare(c.con) < 0;
  }
  if (op == ">=" || op == "=>") {
    return !(!v.pre.empty() && c.con.pre.empty()) && v.compare(c.con) >= 0;
  }
  if (op == "<=" || op == "=<") {
    return lessThanEqual(v, c);
  }
  if (op == "~" || op == "~>") {
    return tilde(v, c);
  }
  return caret(v, c);
}

// "1.2 - 1.4.5" becomes ">= 1.2, <= 1.4.5", each range once, as the library rewrites it.
std::string rewriteRanges(const std::string& text) {
  std::string out = text;
  for (const auto& m : findAll(rangeRe(), text)) {
    const size_t at = out.find(m[0]);
    if (at != std::string::npos) {
      out.replace(at, m[0].size(), ">= " + m[1] + ", <= " + m[11]);
    }
  }
  return out;
}

}  // namespace

std::string SemVersion::str() const {
  std::string s = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  if (!pre.empty()) {
    s += "-" + pre;
  }
  if (!metadata.empty()) {
    s += "+" + metadata;
  }
  return s;
}

int SemVersion::compare(const SemVersion& o) const {
  for (auto [a, b] : {std::pair{major, o.major}, std::pair{minor, o.minor}, std::pair{patch, o.patch}}) {
    if (a != b) {
      return a < b ? -1 : 1;
    }
  }
  if (pre.empty() || o.pre.empty()) {
    return pre.empty() == o.pre.empty() ? 0 : (pre.empty() ? 1 : -1);
  }
  return comparePrerelease(pre, o.pre);
}

SemVersion parseSemVersion(const std::string& text) {
  std::vector<std::string> m;
  if (!match(versionRe(), text, 0, RE2::ANCHOR_BOTH, m)) {
    throw TemplateError("Invalid Semantic Version");
  }
  SemVersion v;
  v.original = text;
  v.pre = m[5];
  v.metadata = m[8];
  v.major = parseSegment(m[1]);
  v.minor = !m[2].empty() ? parseSegment(m[2].substr(1)) : 0;
  v.patch = !m[3].empty() ? parseSegment(m[3].substr(1)) : 0;
  if (!v.pre.empty()) {
    for (const auto& part : splitDots(v.pre)) {
      if (allDigits(part) && part.size() > 1 && part[0] == '0') {
        throw TemplateError("Version segment starts with 0");
      }
    }
  }
  return v;
}

bool semverSatisfies(const std::string& constraint, const SemVersion& v) {
  const std::string text = rewriteRanges(constraint);
  // Every alternative is parsed (and may fail) before any is checked, as NewConstraint does.
  std::vector<std::vector<Constraint>> alternatives;
  size_t start = 0;
  while (true) {
    const size_t bar = text.find("||", start);
    const std::string alt = text.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    if (!RE2::FullMatch(alt, validConstraintRe())) {
      throw TemplateError("improper constraint: " + alt);
    }
    auto& parts = alternatives.emplace_back();
    for (const auto& m : findAll(findConstraintRe(), alt)) {
      parts.push_back(parseConstraint(m[0]));
    }
    if (parts.empty()) {
      parts.push_back(parseConstraint(alt));
    }
    if (bar == std::string::npos) {
      break;
    }
    start = bar + 2;
  }
  return std::any_of(alternatives.begin(), alternatives.end(), [&](const auto& parts) {
    return std::all_of(parts.begin(), parts.end(), [&](const Constraint& c) { return check(v, c); });
  });
}

}  // namespace gatehouse::templates
