#pragma once
// Link response fields as Caddy's push handler reads them: comma-separated entries
// `<uri>; param; key=value`, the URI between the first '<' and the first '>'. Only what
// push needs is kept: the URI and whether the entry says `nopush`.

#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::handlers {

struct LinkEntry {
  std::string uri;
  bool noPush = false;
};

std::vector<LinkEntry> parseLinkField(std::string_view value);

// A URI push must leave alone: protocol-relative or with an http(s) scheme.
bool isRemoteResource(std::string_view uri);

}  // namespace gatehouse::handlers
