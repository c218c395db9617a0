#include "dns/route53_api.h"

#include <algorithm>
#include <cctype>

namespace gatehouse::acme::dns::route53 {

namespace {

bool sameName(std::string_view a, std::string_view b) {
  auto strip = [](std::string_view s) { return s.ends_with('.') ? s.substr(0, s.size() - 1) : s; };
  a = strip(a);
  b = strip(b);
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string xmlUnescape(std::string_view s) {
  static const std::pair<std::string_view, char> kEntities[] = {
      {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}, {"&amp;", '&'}};
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool replaced = false;
    for (const auto& [entity, c] : kEntities) {
      if (s.substr(i, entity.size()) == entity) {
        out += c;
        i += entity.size();
        replaced = true;
        break;
      }
    }
    if (!replaced)
      out += s[i++];
  }
  return out;
}

// The raw (not unescaped) bodies of each <tag>...</tag>.
std::vector<std::string_view> elements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  for (size_t pos = xml.find(open); pos != std::string_view::npos; pos = xml.find(open, pos)) {
    const size_t start = pos + open.size();
    const size_t end = xml.find(close, start);
    if (end == std::string_view::npos)
      break;
    out.push_back(xml.substr(start, end - start));
    pos = end + close.size();
  }
  return out;
}

}  // namespace

std::vector<std::string> xmlTexts(std::string_view xml, std::string_view tag) {
  std::vector<std::string> out;
  for (std::string_view e : elements(xml, tag))
    out.push_back(xmlUnescape(e));
  return out;
}

std::string xmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string changeBatch(std::string_view action, const RecordSet& set) {
  std::string records;
  for (const auto& v : set.values)
    records += "<ResourceRecord><Value>" + xmlEscape(v) + "</Value></ResourceRecord>";
  return R"(<?xml version="1.0" encoding="UTF-8"?>)"
         R"(<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">)"
         "<ChangeBatch><Changes><Change><Action>" +
         std::string(action) + "</Action><ResourceRecordSet><Name>" + xmlEscape(set.name) + "</Name><Type>" +
         set.type + "</Type><TTL>" + std::to_string(set.ttl) + "</TTL><ResourceRecords>" + records +
         "</ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch></"
         "ChangeResourceRecordSetsRequest>";
}

std::optional<std::string> hostedZoneId(std::string_view xml, std::string_view zone) {
  for (std::string_view hz : elements(xml, "HostedZone")) {
    const auto names = xmlTexts(hz, "Name");
    const auto ids = xmlTexts(hz, "Id");
    if (names.empty() || ids.empty() || !sameName(names[0], zone))
      continue;
    std::string id = ids[0];
    if (id.starts_with("/hostedzone/"))
      id.erase(0, 12);
    return id;
  }
  return std::nullopt;
}

std::optional<RecordSet> txtRecordSet(std::string_view xml, std::string_view fqdn) {
  for (std::string_view rs : elements(xml, "ResourceRecordSet")) {
    RecordSet set;
    const auto names = xmlTexts(rs, "Name");
    const auto types = xmlTexts(rs, "Type");
    const auto ttls = xmlTexts(rs, "TTL");
    if (names.empty() || types.empty() || types[0] != "TXT" || !sameName(names[0], fqdn))
      continue;
    set.name = names[0];
    set.type = types[0];
    set.ttl = ttls.empty() ? 0 : std::strtol(ttls[0].c_str(), nullptr, 10);
    set.values = xmlTexts(rs, "Value");
    return set;
  }
  return std::nullopt;
}

std::string errorText(std::string_view xml) {
  const auto codes = xmlTexts(xml, "Code");
  const auto messages = xmlTexts(xml, "Message");
  std::string out =
      codes.empty() ? (xml.find("<InvalidChangeBatch") != std::string_view::npos ? "InvalidChangeBatch" : "")
                    : codes[0];
  for (const auto& m : messages)
    out += (out.empty() ? "" : ": ") + m;
  return out;
}

std::chrono::milliseconds retryDelay(int attempt) {
  constexpr auto kMax = std::chrono::milliseconds(5000);
  if (attempt < 0)
    return std::chrono::milliseconds(500);
  if (attempt >= 4)  // 500 << 4 is already past the cap
    return kMax;
  return std::min(std::chrono::milliseconds(500 << attempt), kMax);
}

std::chrono::steady_clock::time_point waitDeadline(std::chrono::steady_clock::time_point now,
                                                   std::chrono::seconds maxWait) {
  using Clock = std::chrono::steady_clock;
  if (maxWait <= std::chrono::seconds::zero())
    return now;
  // Compare in seconds: the room left before the clock's end, rounded down, never overflows.
  const auto room = std::chrono::duration_cast<std::chrono::seconds>(Clock::time_point::max() - now);
  if (maxWait >= room)
    return Clock::time_point::max();
  return now + maxWait;
}

}  // namespace gatehouse::acme::dns::route53
