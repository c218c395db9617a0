#include "handlers/placeholder_steps.h"

#include "handlers/body_capture_handler.h"
#include "handlers/request_uuid.h"

namespace gatehouse::handlers {

namespace {
// The bare keys: `{key}` in handler fields, `"key"` inside an expression.
HandlerList stepsFor(const std::string& configText) {
  HandlerList steps;
  if (configText.find("http.request.uuid") != std::string::npos) {
    steps.push_back(makeRequestUuid());
  }
  if (configText.find("http.request.body") != std::string::npos) {
    steps.push_back(makeBodyCapture());
  }
  return steps;
}
}  // namespace

HandlerList stepsBeforeHandler(const config::Handler& h) {
  if (h.name == "subroute") {
    return {};
  }
  return stepsFor(h.fields.dump());
}

HandlerList stepsBeforeMatchers(const std::vector<config::MatcherSet>& sets) {
  std::string text;
  for (const auto& set : sets) {
    text += set.dump();
  }
  return stepsFor(text);
}

}  // namespace gatehouse::handlers
