// vars: sets request variables ({http.vars.*}); `root` here is what file_server serves.

#include "handlers/handlers.h"
#include "provision/provision_error.h"
#include "router/placeholders.h"

namespace gatehouse::handlers {

namespace {
class Vars final : public runtime::Handler {
 public:
  explicit Vars(std::vector<std::pair<std::string, router::Template>> vars) : vars_(std::move(vars)) {}
  runtime::Outcome handle(runtime::Exchange& ex) const override {
    for (const auto& [name, value] : vars_) {
      ex.setVar(name, value.render(ex));
    }
    return runtime::Outcome::Continue;
  }

 private:
  std::vector<std::pair<std::string, router::Template>> vars_;
};
static_assert(std::derived_from<Vars, runtime::Handler>);
}  // namespace

std::unique_ptr<runtime::Handler> makeVars(const config::Handler& h, const std::string& path) {
  std::vector<std::pair<std::string, router::Template>> vars;
  for (const auto& [name, value] : h.fields.items()) {
    // Variables newer Caddy gives a meaning (set by its `fs` and `log_name` directives):
    // honoured nowhere here yet, so refused rather than set and ignored.
    if (name == "fs") {
      throw provision::ProvisionError(path + ".fs", "file systems (Caddyfile directive `fs`) are not supported yet");
    }
    if (name == "access_logger_names") {
      throw provision::ProvisionError(path + ".access_logger_names",
                                      "choosing access loggers per request (Caddyfile directive `log_name`) "
                                      "is not supported yet");
    }
    // Non-string values print as JSON would (numbers, booleans), since every use is textual.
    vars.emplace_back(name, router::Template(value.is_string() ? value.get<std::string>() : config::dump(value, false)));
  }
  return std::make_unique<Vars>(std::move(vars));
}

}  // namespace gatehouse::handlers
