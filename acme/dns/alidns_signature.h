#pragma once
// Alibaba Cloud RPC API request signing, signature version 1.0 with HMAC-SHA1, as Alibaba
// Cloud DNS documents it: parameters sorted by name (byte order), names and values
// percent-encoded (RFC 3986 unreserved characters kept, everything else %XY in upper case,
// space as %20), joined with & and =; StringToSign = METHOD&%2F&encode(canonical query);
// Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)).

#include <map>
#include <string>
#include <string_view>

namespace gatehouse::acme::dns::alidns {

using Params = std::map<std::string, std::string>;  // std::map orders keys bytewise

std::string percentEncode(std::string_view text);
std::string canonicalizedQuery(const Params& params);
std::string stringToSign(std::string_view method, const Params& params);
std::string signature(std::string_view accessKeySecret, std::string_view stringToSign);
// The query string to send: the canonical query plus &Signature=<encoded signature>.
std::string signedQuery(std::string_view method, const Params& params, std::string_view accessKeySecret);

}  // namespace gatehouse::acme::dns::alidns
