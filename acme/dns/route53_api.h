#pragma once
// The pieces of Amazon Route 53's REST API (version 2013-04-01, XML) the route53 provider
// uses, kept free of I/O so they can be unit tested: the ChangeResourceRecordSets body,
// and reading ListHostedZonesByName, ListResourceRecordSets and error responses.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::acme::dns::route53 {

struct RecordSet {
  std::string name;  // absolute, as Route 53 returns it
  std::string type;
  long ttl = 0;
  std::vector<std::string> values;  // as stored: TXT values keep their quotes ("\"abc\"")
};

// Every text of <tag>...</tag> in order (entities decoded). Route 53's answers are flat
// enough that this is all the XML reading needed.
std::vector<std::string> xmlTexts(std::string_view xml, std::string_view tag);
std::string xmlEscape(std::string_view text);

// <ChangeResourceRecordSetsRequest> with one change (CREATE, UPSERT or DELETE).
std::string changeBatch(std::string_view action, const RecordSet& set);

// The hosted zone id ("Z123", without "/hostedzone/") whose name is `zone` (absolute), from
// a ListHostedZonesByName answer; nullopt when the first zones listed are other names.
std::optional<std::string> hostedZoneId(std::string_view xml, std::string_view zone);

// The TXT record set named `fqdn` in a ListResourceRecordSets answer, if listed.
std::optional<RecordSet> txtRecordSet(std::string_view xml, std::string_view fqdn);

// "Code: Message" of an <ErrorResponse> or <InvalidChangeBatch> answer.
std::string errorText(std::string_view xml);

// The wait before retry `attempt` + 1 (0-based) of a throttled or failed call: 500 ms doubled
// per attempt, at most 5 s (the AWS SDK's backoff). max_retries allows 100 attempts, so the
// doubling stops before it could shift past an int's width.
std::chrono::milliseconds retryDelay(int attempt);

// When waiting for a change to be INSYNC gives up: `now` + max_wait_dur, or the clock's last
// instant when that sum does not fit (max_wait_dur is any JSON integer of seconds, and
// converting a huge one to the clock's nanoseconds would overflow).
std::chrono::steady_clock::time_point waitDeadline(std::chrono::steady_clock::time_point now,
                                                   std::chrono::seconds maxWait);

}  // namespace gatehouse::acme::dns::route53
