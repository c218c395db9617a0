#include "metrics/openmetrics.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <vector>

#include "http/field_syntax.h"

namespace gatehouse::metrics {

namespace {

using http::trimBlanks;

struct AcceptEntry {
  std::string type;
  std::string subType;
  std::string version;
  double q = 1;
};

// goautoneg.ParseAccept, keeping what the negotiation reads.
std::vector<AcceptEntry> parseAccept(std::string_view accept) {
  std::vector<AcceptEntry> out;
  while (!accept.empty()) {
    const size_t comma = accept.find(',');
    std::string_view part = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    const size_t semi = part.find(';');
    std::string_view mediaType = trimBlanks(part.substr(0, semi));
    std::string_view params = semi == std::string_view::npos ? std::string_view() : part.substr(semi + 1);
    AcceptEntry e;
    const size_t slash = mediaType.find('/');
    if (slash == std::string_view::npos) {
      if (mediaType != "*") {
        continue;  // goautoneg skips a media type without '/' unless it is "*"
      }
      e.type = e.subType = "*";
    } else {
      e.type = std::string(mediaType.substr(0, slash));
      e.subType = std::string(mediaType.substr(slash + 1));
    }
    while (!params.empty()) {
      const size_t next = params.find(';');
      std::string_view kv = params.substr(0, next);
      params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
      const size_t eq = kv.find('=');
      if (eq == std::string_view::npos) {
        continue;
      }
      const std::string_view key = trimBlanks(kv.substr(0, eq));
      const std::string value(trimBlanks(kv.substr(eq + 1)));
      if (key == "q") {
        e.q = std::strtod(value.c_str(), nullptr);
      } else if (key == "version") {
        e.version = value;
      }
    }
    out.push_back(std::move(e));
  }
  // goautoneg's order: higher q first, then a concrete type or subtype before '*'.
  std::stable_sort(out.begin(), out.end(), [](const AcceptEntry& a, const AcceptEntry& b) {
    if (a.q != b.q) {
      return a.q > b.q;
    }
    if (a.type != "*" && b.type == "*") {
      return true;
    }
    return a.subType != "*" && b.subType == "*";
  });
  return out;
}

// Go's OpenMetrics float: the text form ('g' digits) with ".0" when it reads as an integer.
std::string omFloat(std::string_view v) {
  std::string out(v);
  if (out.find_first_of(".eEIN") == std::string::npos) {
    out += ".0";
  }
  return out;
}

// name{labels} value -> the metric name.
std::string_view sampleName(std::string_view line) {
  return line.substr(0, std::min(line.find('{'), line.find(' ')));
}

std::string sampleLine(std::string_view line, const std::string& type, std::string_view family) {
  const size_t space = line.rfind(' ');
  if (space == std::string_view::npos) {
    return std::string(line);
  }
  std::string head(line.substr(0, space));
  const std::string_view value = line.substr(space + 1);
  const std::string_view name = sampleName(line);
  const std::string_view suffix = name.substr(std::min(name.size(), family.size()));
  if (type == "histogram" && suffix == "_bucket") {
    const size_t le = head.find("le=\"");
    if (le != std::string::npos) {
      const size_t start = le + 4;
      const size_t end = head.find('"', start);
      head.replace(start, end - start, omFloat(std::string_view(head).substr(start, end - start)));
    }
    return head + " " + std::string(value);  // a bucket count is an integer
  }
  if (type == "histogram" && suffix == "_count") {
    return std::string(line);
  }
  return head + " " + omFloat(value);
}

}  // namespace

bool negotiatesOpenMetrics(std::string_view accept) {
  for (const auto& e : parseAccept(accept)) {
    if (e.type == "text" && e.subType == "plain" && (e.version == "0.0.4" || e.version.empty())) {
      return false;
    }
    if (e.type == "application" && e.subType == "openmetrics-text" &&
        (e.version == "0.0.1" || e.version.empty())) {
      return true;
    }
  }
  return false;
}

std::string toOpenMetrics(std::string_view text) {
  // Family types first: a HELP line precedes its TYPE line.
  std::map<std::string, std::string, std::less<>> types;
  for (std::string_view rest = text; !rest.empty();) {
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.starts_with("# TYPE ")) {
      const std::string_view body = line.substr(7);
      const size_t sp = body.find(' ');
      if (sp != std::string_view::npos) {
        types[std::string(body.substr(0, sp))] = std::string(body.substr(sp + 1));
      }
    }
  }
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::string family;
  std::string type;
  for (std::string_view rest = text; !rest.empty();) {
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const std::string_view body = line.substr(7);
      const size_t sp = body.find(' ');
      std::string name(body.substr(0, sp));
      auto it = types.find(name);
      family = name;
      type = it == types.end() ? "untyped" : it->second;
      if (type == "counter" && name.ends_with("_total")) {
        name.resize(name.size() - 6);  // an OpenMetrics counter family has no suffix
      }
      out.append(line.substr(0, 7)).append(name);
      if (sp != std::string_view::npos) {
        out.append(body.substr(sp));
      }
    } else if (line.empty() || line.front() == '#') {
      out.append(line);
    } else {
      out.append(sampleLine(line, type, family));
    }
    out.push_back('\n');
  }
  out.append("# EOF\n");
  return out;
}

}  // namespace gatehouse::metrics
