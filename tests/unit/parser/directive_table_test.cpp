#include "gatehouse/parser/directive_table.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

using namespace gatehouse::parser;

TEST_CASE("no directive name appears in two families") {
  std::map<std::string, std::string> seen;
  const std::pair<const char*, const std::vector<DirectiveSpec>*> families[] = {
      {"builtin", &builtinDirectiveSpecs()},
      {"handler", &handlerDirectiveSpecs()},
      {"proxy", &proxyDirectiveSpecs()},
      {"tls", &tlsDirectiveSpecs()},
  };
  for (const auto& [family, specs] : families) {
    for (const auto& spec : *specs) {
      INFO("directive '" << spec.name << "' in family " << family);
      auto [it, inserted] = seen.emplace(std::string(spec.name), family);
      CHECK(inserted);
      CHECK((spec.general != nullptr) != (spec.handler != nullptr));
    }
  }
}

TEST_CASE("the table finds builtin directives and knows their order") {
  REQUIRE(findDirective("handle") != nullptr);
  REQUIRE(findDirective("bind") != nullptr);
  CHECK(findDirective("no_such_directive") == nullptr);
  const auto& order = defaultDirectiveOrder();
  auto pos = [&order](const std::string& d) {
    return std::find(order.begin(), order.end(), d) - order.begin();
  };
  CHECK(pos("root") < pos("header"));
  CHECK(pos("header") < pos("redir"));
  CHECK(pos("handle") < pos("respond"));
  CHECK(pos("respond") < pos("file_server"));
  CHECK(normalizeDirectiveName("handle_path") == "handle");
  CHECK(normalizeDirectiveName("respond") == "respond");
}
