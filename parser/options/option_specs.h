#pragma once
// The global option registry, split by family like the directive table: each family file
// lists its options; global_options.cpp joins the lists and dispatches.

#include <string_view>
#include <vector>

#include "gatehouse/parser/dispenser.h"
#include "gatehouse/parser/helper.h"

namespace gatehouse::parser::options {

// Parses one global option. The dispenser covers the option's segment with the cursor before
// the option name; `existing` is the value an earlier occurrence left (or nullptr), for the
// options that accumulate (cert_issuer, log, servers). Returns the value to store.
using OptionFn = Json (*)(Dispenser& d, const Json* existing);

struct OptionSpec {
  std::string_view name;
  OptionFn parse;
};

const std::vector<OptionSpec>& generalOptionSpecs();  // general_options.cpp
const std::vector<OptionSpec>& acmeOptionSpecs();     // acme_options.cpp
const std::vector<OptionSpec>& logOptionSpecs();      // log_option.cpp
const std::vector<OptionSpec>& serversOptionSpecs();  // servers_option.cpp
const std::vector<OptionSpec>& pkiOptionSpecs();      // pki_option.cpp

}  // namespace gatehouse::parser::options
