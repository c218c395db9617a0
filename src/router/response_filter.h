#pragma once
// Middleware that rewrites the complete response after the chain and before error routing
// (Caddy middleware that buffers what `next` wrote, as templates does). Such a handler
// installs itself in Exchange::stages (its onHead does nothing); SiteRouter finds it there
// once the chain is over. It may fail the exchange (Exchange::fail: error routes run) or
// pause (installing ex.pending, e.g. to buffer a streamed body): it is then called again
// when the work resumes.

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::router {

class ResponseFilter : public runtime::OutputStage {
 public:
  virtual runtime::Outcome filter(runtime::Exchange& ex) const = 0;
  void onHead(runtime::Exchange& /*ex*/) const final {}
};

}  // namespace gatehouse::router
