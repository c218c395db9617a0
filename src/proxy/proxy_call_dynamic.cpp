// ProxyCall's choice among dynamic upstreams (`dynamic a|srv|multi`): the source's answer
// for this request (cached per worker, or looked up while the request waits), each answer's
// own connections (a pool slot per address) and process-wide counters (Caddy's Host per
// address, taken from its pool for each try), then the selection policy over them. A failed lookup falls back
// to the configured upstreams, as Caddy does ("no upstreams available" when there are none).
#include "gatehouse/runtime/error_traces.h"
#include "proxy/proxy_call.h"

namespace gatehouse::proxy {

bool ProxyCall::pickDynamic() {
  awaitingLookup_ = false;
  // Caddy lets the Hosts of its last try go before it takes this one's.
  dynamicHosts_.clear();
  if (!waiter_) {
    waiter_ = std::make_shared<std::function<void()>>([this] { onDynamicLookup(); });
  }
  dynamicDials_.clear();
  std::string error;
  if (lookups_->collect(*config_.dynamic, ex_, waiter_, dynamicDials_, error) ==
      DynamicLookups::State::Pending) {
    awaitingLookup_ = true;
    return true;
  }
  if (!error.empty()) {
    return pickConfigured();
  }
  pool_.sweepSlots();
  dynamicStates_.clear();
  std::vector<size_t>& avail = pool_.scratch();
  avail.clear();
  for (size_t i = 0; i < dynamicDials_.size(); ++i) {
    dynamicStates_.push_back(pool_.slotFor(dynamicDials_[i]));
    holdHost(dynamicStates_[i], dynamicDials_[i]);
    // No active health checks for dynamic upstreams (Caddy runs them on static ones only).
    if (availableState(dynamicStates_[i], 0, false)) {
      avail.push_back(i);
    }
  }
  const DynamicCandidates candidates{dynamicDials_, dynamicStates_};
  const int pick = config_.policy->select(avail, ex_, pool_, &candidates);
  if (pick < 0) {
    dynamicHosts_.clear();  // Caddy's try is over before it answers
    ex_.fail(503, "no upstreams available", runtime::traces::kProxyNoUpstreams);
    return false;
  }
  const size_t position = avail[static_cast<size_t>(pick)];
  countActive(false);
  upstream_ = dynamicStates_[position];
  countActive(true);
  stickyCookie_ = config_.policy->responseCookie(position, ex_, &candidates);
  std::string why;
  auto addr = UpstreamAddress::parseResolved(dynamicDials_[position], why);
  if (!addr) {
    ex_.fail(502, "making dial info: upstream " + dynamicDials_[position] + ": " + why,
             runtime::traces::kProxyStatusError);
    return false;
  }
  pickedAddress(std::move(*addr));
  return begin(upstream_, *picked_, pickedHostport_, pickedNetwork_, 0);
}

// The process-wide counters of a candidate address (shared with every worker, handler and
// configured upstream naming it), held until this try ends. The slot remembers them, so the
// registry is only asked when no request holds them any more.
void ProxyCall::holdHost(size_t state, const std::string& dial) {
  if (!config_.stats) {
    return;  // a handler built without the process's registry (unit tests): per pool
  }
  auto host = pool_.slotHost(state);
  if (!host) {
    host = config_.stats->dynamicHost(dial);
    pool_.attachHost(state, host);
  }
  dynamicHosts_.emplace_back(std::move(host));
}

// A lookup this call waited for ended: choose again from its answer.
void ProxyCall::onDynamicLookup() {
  if (!awaitingLookup_) {
    return;  // a second wake-up (a multi source's other lookups), or already under way
  }
  if (awaitingSrv_) {
    if (!pickSrv()) {
      ex_.host->resume();
    }
    return;
  }
  if (!pickDynamic()) {
    ex_.host->resume();
  }
}

}  // namespace gatehouse::proxy
