#pragma once
// The upstream request's header fields written straight from the client's, in one pass
// with no copy of the field list: the common case, when no header_up rule runs and no
// field asks for the general rules of header_rules.h (Connection naming other fields,
// TE: trailers, a Host field, X-Forwarded-* from a possibly trusted client, an upgrade).
// The output is byte for byte what those general rules produce for such a request:
// canonical names, hop-by-hop fields, Content-Length and User-Agent (written with Host)
// dropped, X-Forwarded-For/-Proto/-Host appended.

#include <string>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::proxy {

enum class DirectFields {
  Written,  // the fields are appended to the head
  General,  // a field needs the general rules: nothing usable was written
  Unsafe,   // a byte could split the head (as safeToSend)
};

struct DirectFieldFacts {
  bool acceptEncoding = false;  // the first Accept-Encoding field has a value
  bool range = false;           // the first Range field has a value
};

DirectFields appendDirectFields(std::string& head, const runtime::Request& req, DirectFieldFacts& facts);

}  // namespace gatehouse::proxy
