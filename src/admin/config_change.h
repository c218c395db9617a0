#pragma once
// Caddy's changeConfig: one read-modify-write of the running config at a time. It checks
// If-Match against the ETag of the path it names, applies the traversal, skips the reload
// when the encoded config did not change (unless forced: Cache-Control: must-revalidate),
// indexes @id, and loads the result through the sink (the same reload as POST /load).

#include <optional>
#include <string>

#include "admin/api_types.h"
#include "admin/config_tree.h"

namespace gatehouse::admin {

class ConfigSink;

class ConfigChanger {
 public:
  explicit ConfigChanger(ConfigSink& sink) : sink_(sink) {}

  // `body` is JSON text ("" for none). Errors carry Caddy's status: 400/412 for a bad
  // If-Match, else 500 as Caddy answers plain errors; the caller wraps as its endpoint does.
  // `unchanged` (optional) tells a skipped reload from a done one.
  std::optional<ApiError> change(const std::string& method, const std::string& path, const std::string& body,
                                 const std::string& ifMatch, bool force, bool* unchanged = nullptr);
  // GET at `path`: the json.Encoder text, or the traversal error.
  std::optional<std::string> read(const std::string& path, std::string& out) const;
  // The /config/ path an @id names in the running config, if any (indexed on demand, so
  // configs loaded by SIGUSR1 are covered too).
  [[nodiscard]] std::optional<std::string> pathOfId(const std::string& id) const;

 private:
  std::optional<ApiError> checkIfMatch(const Json& root, const std::string& ifMatch) const;

  ConfigSink& sink_;
};

}  // namespace gatehouse::admin
