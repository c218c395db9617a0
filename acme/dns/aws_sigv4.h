#pragma once
// AWS Signature Version 4 (HMAC-SHA256), as AWS's "Create a signed AWS API request" guide
// documents it: canonical request (method, URI-encoded path, sorted query, lower-case
// signed headers with trimmed values, hex SHA-256 of the payload), string to sign
// ("AWS4-HMAC-SHA256", date, scope, hash of the canonical request), and the signing key
// chained HMAC("AWS4" + secret, date, region, service, "aws4_request").

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatehouse::acme::dns::aws {

struct Credentials {
  std::string accessKeyId;
  std::string secretAccessKey;
  std::string sessionToken;  // optional (temporary credentials): sent as X-Amz-Security-Token
};

struct Request {
  std::string method;
  std::string path;                                        // as sent (each segment already URI-encoded)
  std::vector<std::pair<std::string, std::string>> query;  // decoded names and values
  std::map<std::string, std::string> headers;              // lower-case names; all are signed
  std::string body;
};

// RFC 3986 unreserved characters kept, everything else %XY (upper case); '/' kept when
// encodeSlash is false (paths).
std::string uriEncode(std::string_view text, bool encodeSlash = true);
std::string hexSha256(std::string_view data);
std::string canonicalQuery(const std::vector<std::pair<std::string, std::string>>& query);
std::string canonicalRequest(const Request& req);
std::string stringToSign(std::string_view amzDate, std::string_view scope, std::string_view canonical);
// The raw (binary) signing key.
std::string signingKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);
// The Authorization header's value. `req.headers` must hold host and x-amz-date (amzDate).
std::string authorization(const Credentials& creds, std::string_view region, std::string_view service,
                          std::string_view amzDate, const Request& req);

// Adds x-amz-date (and x-amz-security-token when a session token is set) and the
// Authorization header to `req`; amzDate is "YYYYMMDDTHHMMSSZ".
void sign(Request& req, const Credentials& creds, std::string_view region, std::string_view service,
          std::string_view amzDate);

}  // namespace gatehouse::acme::dns::aws
