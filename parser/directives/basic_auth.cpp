// The basic_auth directive (and its deprecated name basicauth): HTTP basic authentication
// (Caddy's authentication handler with the http_basic provider).
#include "directives/handler_directives.h"
#include "directives/handler_util.h"

namespace gatehouse::parser {

// basic_auth [<matcher>] [<hash_algorithm> [<realm>]] {
//     <username> <hashed_password_base64> [<salt_base64>]
//     ...
// }
//
// The hash algorithm is bcrypt (the default), scrypt (Caddy 2.6's, deprecated later; its
// accounts carry a salt) or argon2id (newer Caddy's).
config::Handler parseBasicAuth(Helper& h) {
  h.next();  // the directive name
  std::vector<std::string> args = h.remainingArgs();
  if (args.size() > 2) {
    throw h.argErr();
  }
  std::string hashName = args.empty() ? "bcrypt" : args[0];
  std::string realm = args.size() == 2 ? args[1] : "";
  if (hashName != "bcrypt" && hashName != "scrypt" && hashName != "argon2id") {
    throw h.err("unrecognized hash algorithm: " + hashName);
  }

  Json accounts = Json::array();
  while (h.nextBlock(0)) {
    std::string username = h.val();
    std::string password;
    std::string salt;
    if (handler_util::args(h, password))
      handler_util::args(h, salt);
    if (h.nextArg()) {
      throw h.argErr();
    }
    if (username.empty() || password.empty()) {
      throw h.err("username and password cannot be empty or missing");
    }
    Json account{{"username", username}, {"password", password}};
    if (!salt.empty())
      account["salt"] = salt;  // Caddy's omitempty
    accounts.push_back(account);
  }

  Json basic = Json::object();
  basic["hash"] = Json{{"algorithm", hashName}};
  if (!accounts.empty())
    basic["accounts"] = accounts;
  if (!realm.empty())
    basic["realm"] = realm;
  basic["hash_cache"] = Json::object();
  return config::Handler{
      "authentication", Json{{"providers", Json{{"http_basic", basic}}}}, {}, std::nullopt};
}

}  // namespace gatehouse::parser
