// Certificate subject classification, following certmagic's rules.
#include "options/tls_subjects.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "options/option_util.h"

namespace gatehouse::parser::options {
namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + what.size()))
    ++n;
  return n;
}

bool parseIp(const std::string& s, unsigned char* out, int& family) {
  if (inet_pton(AF_INET, s.c_str(), out) == 1) {
    family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), out) == 1) {
    family = AF_INET6;
    return true;
  }
  return false;
}

// Loopback, private and link-local addresses are "internal" to certmagic.
bool isInternalIp(const std::string& s) {
  unsigned char b[16] = {};
  int family = 0;
  if (!parseIp(s, b, family))
    return false;
  if (family == AF_INET) {
    return b[0] == 127 || b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) ||
           (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254) || (b[0] == 0);
  }
  bool loopback = std::all_of(b, b + 15, [](unsigned char c) { return c == 0; }) && b[15] == 1;
  bool unspecified = std::all_of(b, b + 16, [](unsigned char c) { return c == 0; });
  return loopback || unspecified || (b[0] & 0xFE) == 0xFC || (b[0] == 0xFE && (b[1] & 0xC0) == 0x80);
}

}  // namespace

bool subjectQualifiesForCert(const std::string& subject) {
  if (subject.find_first_not_of(" \t\r\n") == std::string::npos)
    return false;
  if (subject.front() == '.' || subject.back() == '.')
    return false;
  return subject.find_first_of("()[]{}<> \t\n\"\\!@#$%^&|;'+=") == std::string::npos;
}

bool subjectIsIp(const std::string& subject) {
  unsigned char b[16];
  int family = 0;
  std::string s = subject;
  if (s.size() > 2 && s.front() == '[' && s.back() == ']')
    s = s.substr(1, s.size() - 2);
  return parseIp(s, b, family);
}

bool subjectIsInternal(const std::string& subject) {
  std::string s = lower(subject);
  if (!s.empty() && s.back() == '.')
    s.pop_back();
  return s == "localhost" || endsWith(s, ".localhost") || endsWith(s, ".local") || endsWith(s, ".internal") ||
         endsWith(s, ".home.arpa") || isInternalIp(s);
}

bool subjectQualifiesForPublicCert(const std::string& subject) {
  // Current certmagic's rule, as newer Caddy's adapter uses it: a public IP qualifies (0.17,
  // in caddy 2.6.2, excluded every IP; mixed with newer Caddy's policy merging that refused
  // configs both Caddy versions take; tests/compat/adapt_fuzz.py KNOWN_MSG).
  if (!subjectQualifiesForCert(subject) || subjectIsInternal(subject))
    return false;
  if (subject.find('*') == std::string::npos)
    return true;
  return count(subject, "*") == 1 && count(subject, ".") > 1 && subject.size() > 2 &&
         subject.rfind("*.", 0) == 0;
}

bool subjectQualifiesForPublicCertImplicit(const std::string& subject, bool onDemand) {
  return !subjectIsIp(subject) && !subjectIsInternal(subject) && (count(subject, "*.") < 2 || onDemand);
}

bool matchWildcard(const std::string& subjectIn, const std::string& wildcardIn) {
  if (wildcardIn.find('*') == std::string::npos) {
    // Most subjects are plain names: compare without building lower-cased copies.
    return subjectIn.size() == wildcardIn.size() &&
           std::equal(subjectIn.begin(), subjectIn.end(), wildcardIn.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
           });
  }
  std::string subject = lower(subjectIn);
  std::string wildcard = lower(wildcardIn);
  if (subject == wildcard)
    return true;
  if (wildcard.find('*') == std::string::npos)
    return false;
  std::vector<std::string> labels;
  size_t start = 0;
  while (true) {
    size_t dot = subject.find('.', start);
    labels.push_back(subject.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos)
      break;
    start = dot + 1;
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].empty())
      continue;
    labels[i] = "*";
    std::string candidate;
    for (size_t k = 0; k < labels.size(); ++k)
      candidate += (k ? "." : "") + labels[k];
    if (candidate == wildcard)
      return true;
  }
  return false;
}

bool listenersUseAnyPortOtherThan(const std::vector<std::string>& addresses, const std::string& port) {
  auto other = parseInt(port);
  if (!other)
    return false;
  for (const auto& addr : addresses) {
    std::string rest = addr;
    std::string network;
    if (auto slash = rest.find('/'); slash != std::string::npos) {
      network = rest.substr(0, slash);
      rest = rest.substr(slash + 1);
    }
    long long startPort = 0;
    long long endPort = 0;
    if (network.rfind("unix", 0) != 0 && network.rfind("fd", 0) != 0) {
      auto colon = rest.rfind(':');
      if (colon == std::string::npos)
        continue;
      std::string range = rest.substr(colon + 1);
      auto dash = range.find('-');
      auto lo = parseInt(range.substr(0, dash));
      auto hi = dash == std::string::npos ? lo : parseInt(range.substr(dash + 1));
      if (!lo || !hi)
        continue;
      startPort = *lo;
      endPort = *hi;
    }
    if (*other > endPort || *other < startPort)
      return true;
  }
  return false;
}

}  // namespace gatehouse::parser::options
