#pragma once
// What Go's transport reads in an upstream's answer head and llhttp refuses outright: a
// field whose name is no token ("X(y)", "Bad Name", UTF-8), a line with an empty name,
// an invalid Content-Length on an answer that has no body (1xx, 204, 304; not a HEAD's). Go
// reads the first (caddy 2.6.2's server then drops it when it writes), skips the second
// and ignores the third. llhttp has no lenient mode for them, so the head's bytes are
// rewritten without those lines and read again (UpstreamConnection::consume).

#include <string>
#include <string_view>

namespace gatehouse::proxy {

// `in`: the bytes of one or more heads (interim ones first) and whatever followed them.
// Complete field lines Go would read as above are left out of `out` (with their obs-fold
// continuation lines); everything else is copied as it is, including a field with white
// space before its colon (refused on purpose: Go reads it as another field). Returns
// whether any line was left out.
bool repairHead(std::string_view in, bool headRequest, std::string& out);

}  // namespace gatehouse::proxy
