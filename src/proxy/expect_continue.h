#pragma once
// Go's Request.expectsContinue: the Expect field names the 100-continue token. The request
// side decides on it whether to hold the body (expect_continue_timeout); the response side
// whether an upstream's 100 Continue was the client's to see.

#include <string_view>

#include "gatehouse/runtime/header_list.h"

namespace gatehouse::proxy {

inline bool expects100(std::string_view expect) {
  while (!expect.empty() && (expect.front() == ' ' || expect.front() == '\t')) {
    expect.remove_prefix(1);
  }
  while (!expect.empty() && (expect.back() == ' ' || expect.back() == '\t')) {
    expect.remove_suffix(1);
  }
  return runtime::equalsIgnoreCase(expect, "100-continue");
}

}  // namespace gatehouse::proxy
