// vars: sets request variables ({http.vars.*}); `root` here is what file_server serves.

#include "handlers/handlers.h"
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

std::unique_ptr<runtime::Handler> makeVars(const config::Handler& h, const std::string& /*path*/) {
  std::vector<std::pair<std::string, router::Template>> vars;
  for (const auto& [name, value] : h.fields.items()) {
    // Non-string values print as JSON would (numbers, booleans), since every use is textual.
    vars.emplace_back(name, router::Template(value.is_string() ? value.get<std::string>() : config::dump(value, false)));
  }
  return std::make_unique<Vars>(std::move(vars));
}

}  // namespace gatehouse::handlers
