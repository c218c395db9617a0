// ProxyCall on a chosen `lookup_srv` upstream (caddy 2.6.2's `srv+` address): its SRV name
// is asked now, for this request (2.6.2 asks DNS per request, with no cache), through the
// dynamic upstreams' lookups (libuv's thread pool; the call waits without blocking the loop),
// and the first record in RFC 2782 order (lowest priority, weighted random among equals) is
// dialled, as Go's LookupSRV answers and 2.6.2's fillDialInfo takes records[0]. A failed
// lookup ends the request with 502 and no retry, as an error making the dial info does.
#include "gatehouse/runtime/error_traces.h"
#include "proxy/proxy_call.h"

namespace gatehouse::proxy {

bool ProxyCall::pickSrv() {
  awaitingLookup_ = false;
  awaitingSrv_ = false;
  if (!waiter_) {
    waiter_ = std::make_shared<std::function<void()>>([this] { onDynamicLookup(); });
  }
  const Upstream& up = config_.upstreams[upstream_];
  dynamicDials_.clear();
  std::string error;
  if (lookups_->collect(*up.srv, ex_, waiter_, dynamicDials_, error) == DynamicLookups::State::Pending) {
    awaitingLookup_ = true;
    awaitingSrv_ = true;
    return true;
  }
  if (error.empty() && dynamicDials_.empty()) {
    error = "lookup " + up.srv->name.render(ex_) + ": no such host";
  }
  if (!error.empty()) {
    ex_.fail(502, "making dial info: " + error, runtime::traces::kProxyStatusError);
    return false;
  }
  std::string why;
  auto addr = UpstreamAddress::parseResolved(dynamicDials_.front(), why);
  if (!addr) {
    ex_.fail(502, "making dial info: upstream " + up.dial + ": " + why, runtime::traces::kProxyStatusError);
    return false;
  }
  pickedAddress(std::move(*addr));
  pool_.sweepSlots();
  return begin(pool_.slotFor(picked_->dial), *picked_, pickedHostport_, pickedNetwork_, up.maxRequests);
}

}  // namespace gatehouse::proxy
