// vars: sets request variables ({http.vars.*}); `root` here is what file_server serves.

#include "handlers/handlers.h"
#include "provision/provision_error.h"
#include "router/placeholders.h"
#include "router/var_types.h"

namespace gatehouse::handlers {

namespace {
class Vars final : public runtime::Handler {
 public:
  struct Var {
    std::string name;
    router::Template value;
    router::VarType type;
  };
  explicit Vars(std::vector<Var> vars) : vars_(std::move(vars)) {}
  runtime::Outcome handle(runtime::Exchange& ex) const override {
    for (const auto& v : vars_) {
      std::string text = v.value.render(ex);
      router::setVarType(ex, v.name, v.type, text);
      ex.setVar(v.name, std::move(text));
    }
    return runtime::Outcome::Continue;
  }

 private:
  std::vector<Var> vars_;
};
static_assert(std::derived_from<Vars, runtime::Handler>);
}  // namespace

std::unique_ptr<runtime::Handler> makeVars(const config::Handler& h, const std::string& path) {
  std::vector<Vars::Var> vars;
  for (const auto& [name, value] : h.fields.items()) {
    // Variables newer Caddy gives a meaning (set by its `fs` and `log_name` directives):
    // honoured nowhere here yet, so refused rather than set and ignored.
    if (name == "fs") {
      throw provision::ProvisionError(path + ".fs",
                                      "file systems (Caddyfile directive `fs`) are not supported yet");
    }
    if (name == "access_logger_names") {
      throw provision::ProvisionError(path + ".access_logger_names",
                                      "choosing access loggers per request (Caddyfile directive `log_name`) "
                                      "is not supported yet");
    }
    // Non-string values print as JSON would (numbers, booleans); CEL alone sees their type.
    router::VarType type = value.is_boolean()  ? router::VarType::Bool
                           : value.is_number() ? router::VarType::Number
                                               : router::VarType::String;
    vars.push_back(
        {name, router::Template(value.is_string() ? value.get<std::string>() : config::dump(value, false)),
         type});
  }
  return std::make_unique<Vars>(std::move(vars));
}

}  // namespace gatehouse::handlers
