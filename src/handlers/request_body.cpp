// request_body: limits how many request body bytes later handlers may read (Caddyfile
// `request_body { max_size }`). The session enforces the limit while a handler reads the
// body; a handler that never reads it (respond) answers as usual, as in Caddy.

#include "handlers/handlers.h"
#include "provision/provision_error.h"

namespace gatehouse::handlers {

namespace {

class RequestBody final : public runtime::Handler {
 public:
  explicit RequestBody(uint64_t maxSize) : maxSize_(maxSize) {}
  runtime::Outcome handle(runtime::Exchange& ex) const override {
    ex.request.maxBodyBytes = maxSize_;
    return runtime::Outcome::Continue;
  }

 private:
  uint64_t maxSize_;
};
static_assert(std::derived_from<RequestBody, runtime::Handler>);

}  // namespace

std::unique_ptr<runtime::Handler> makeRequestBody(const config::Handler& h, const std::string& path) {
  requireKnownFields(h, path, {"max_size"});
  const auto& f = h.fields;
  int64_t max = 0;
  if (f.contains("max_size")) {
    if (!f["max_size"].is_number_integer() || f["max_size"].get<int64_t>() < 0) {
      throw provision::ProvisionError(path + ".max_size", "expected a non-negative integer of bytes");
    }
    max = f["max_size"].get<int64_t>();
  }
  return std::make_unique<RequestBody>(static_cast<uint64_t>(max));
}

}  // namespace gatehouse::handlers
