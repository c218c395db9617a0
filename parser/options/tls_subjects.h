#pragma once
// Certificate subject rules (certmagic's SubjectQualifiesForCert & co.) and the listener
// checks buildTlsApp needs.

#include <string>
#include <vector>

namespace gatehouse::parser::options {

bool subjectQualifiesForCert(const std::string& subject);
bool subjectIsIp(const std::string& subject);
bool subjectIsInternal(const std::string& subject);
// certmagic.SubjectQualifiesForPublicCert.
bool subjectQualifiesForPublicCert(const std::string& subject);
// Caddy's lenient variant for implicit automation: IPs and internal names never qualify;
// names with more than one wildcard label qualify only for on-demand policies.
bool subjectQualifiesForPublicCertImplicit(const std::string& subject, bool onDemand);
// certmagic.MatchWildcard: subject equals wildcard, or matches it with one label replaced.
bool matchWildcard(const std::string& subject, const std::string& wildcard);

// True when any listener address covers a port other than `port` (unix sockets count).
bool listenersUseAnyPortOtherThan(const std::vector<std::string>& addresses, const std::string& port);

}  // namespace gatehouse::parser::options
