// Consolidation of automation policies (Caddy's consolidateAutomationPolicies): the most
// specific policies first, empty ones of internal names dropped (auto-HTTPS covers them
// anyway), and identical ones merged so the output stays small.
#include <algorithm>

#include "httptype/go_sort.h"
#include "options/tls_policy.h"
#include "options/tls_subjects.h"

namespace gatehouse::parser::options {
namespace {

// a's subjects are all covered by b's (a catch-all b covers everything).
bool isSubset(const Policy& a, const Policy& b) {
  if (b.subjects.empty())
    return true;
  if (a.subjects.empty())
    return false;
  return std::all_of(a.subjects.begin(), a.subjects.end(), [&](const std::string& s) {
    return std::any_of(b.subjects.begin(), b.subjects.end(),
                       [&](const std::string& w) { return matchWildcard(s, w); });
  });
}

// The index of the first later policy that policy i shadows, or -1.
int shadows(size_t i, const std::vector<Policy>& aps) {
  for (size_t j = i + 1; j < aps.size(); ++j) {
    if (isSubset(aps[i], aps[j]))
      return static_cast<int>(j);
  }
  return -1;
}

bool lessSpecific(const Policy& a, const Policy& b) {
  if (isSubset(a, b))
    return true;
  if (isSubset(b, a))
    return false;
  return a.subjects.size() > b.subjects.size();
}

// The comparator is not a strict weak order, so the result depends on the algorithm: sort
// exactly as Go's sort.SliceStable does (insertion sort in blocks of 20, then merges), which
// also keeps thousands of sites at O(n log^2 n) comparisons.
void stableSort(std::vector<Policy>& aps) {
  gosort::sliceStable(aps, lessSpecific);
}

// Caddy 2.6.2 compares the issuers' JSON only (newer Caddy also treats a policy without
// issuers as having the implicit public or internal ones, and merges accordingly).
bool sameIssuers(const Policy& a, const Policy& b) {
  return sameJson(a.issuers, b.issuers);
}

bool mergeable(const Policy& a, const Policy& b) {
  return sameIssuers(a, b) && sameJson(a.managers, b.managers) && a.keyType == b.keyType &&
         a.onDemand == b.onDemand && a.reusePrivateKeys == b.reusePrivateKeys &&
         a.renewalWindowRatio == b.renewalWindowRatio;
}

bool allPublic(const Policy& p) {
  return std::all_of(p.subjects.begin(), p.subjects.end(), [&](const std::string& s) {
    return subjectQualifiesForPublicCertImplicit(s, p.onDemand);
  });
}

bool anyManagers(const std::vector<Policy>& aps) {
  return std::any_of(aps.begin(), aps.end(), [](const Policy& p) { return !p.managers.empty(); });
}

// Caddy 2.6.2's rule: an empty policy of internal names goes (auto-HTTPS gives them the
// internal issuer anyway); one of public names stays, to be merged with its likes below.
// Returns how many were empty.
size_t dropEmptyInternal(std::vector<Policy>& aps) {
  size_t emptyCount = 0;
  for (size_t i = 0; i < aps.size(); ++i) {
    if (!policyIsEmpty(aps[i]))
      continue;
    ++emptyCount;
    if (!allPublic(aps[i])) {
      aps.erase(aps.begin() + static_cast<long>(i));
      --i;
    }
  }
  return emptyCount;
}

// Newer Caddy's rule: empty policies go unless they shadow a non-empty one. Returns how
// many were empty.
size_t dropEmpty(std::vector<Policy>& aps) {
  size_t emptyCount = 0;
  for (size_t i = 0; i < aps.size(); ++i) {
    if (!policyIsEmpty(aps[i]))
      continue;
    ++emptyCount;
    int shadowIdx = shadows(i, aps);
    Policy empty;
    if (shadowIdx >= 0) {
      // The shadowed policy (likely a wildcard) may carry certificate managers.
      empty.subjects = aps[shadowIdx].subjects;
      empty.managers = aps[shadowIdx].managers;
    }
    // An empty policy that shadows a non-empty one has a purpose; otherwise it goes.
    if (i == aps.size() - 1 || (shadowIdx >= 0 && samePolicy(aps[shadowIdx], empty))) {
      aps.erase(aps.begin() + static_cast<long>(i));
      --i;
    }
  }
  return emptyCount;
}

// A policy that takes another's place is provisioned at start-up when either was: 2.6.2
// had the absorbed one (only the catch-all of global ACME options, which 2.6.2 lacked, is
// provisioned when used).
void keepsProvisionedAtStart(Policy& survivor, const Policy& absorbed) {
  survivor.provisionWhenUsed = survivor.provisionWhenUsed && absorbed.provisionWhenUsed;
}

void appendSubjects(Policy& into, const Policy& from) {
  for (const auto& s : from.subjects) {
    if (std::find(into.subjects.begin(), into.subjects.end(), s) == into.subjects.end()) {
      into.subjects.push_back(s);
    }
  }
}

}  // namespace

std::vector<Policy> consolidatePolicies(std::vector<Policy> aps) {
  // When every policy is empty, dropEmpty below would count them all and nothing is left;
  // say so at once, without the quadratic shadowing checks (the common case: sites on
  // default automatic HTTPS).
  if (std::all_of(aps.begin(), aps.end(), [](const Policy& p) { return policyIsEmpty(p); })) {
    return {};
  }
  stableSort(aps);
  const size_t original = aps.size();
  // 2.6.2 merged policies without comparing their certificate managers, so an empty public
  // policy got another site's get_certificate; newer Caddy's fix (its fixture
  // tls_automation_policies_11) drops the empty one instead, and is followed there.
  const size_t empty = anyManagers(aps) ? dropEmpty(aps) : dropEmptyInternal(aps);
  if (empty == original)
    return {};
  for (long i = 0; i < static_cast<long>(aps.size()); ++i) {
    bool restart = false;
    for (long j = i + 1; j < static_cast<long>(aps.size()) && !restart; ++j) {
      if (samePolicy(aps[i], aps[j])) {
        keepsProvisionedAtStart(aps[i], aps[j]);
        aps.erase(aps.begin() + j);
        restart = true;
      } else if (mergeable(aps[i], aps[j])) {
        if (!aps[i].subjects.empty() && aps[j].subjects.empty()) {
          // The later catch-all can serve policy i's names unless something between them
          // (say a wildcard) would shadow them first.
          if (shadows(static_cast<size_t>(i), aps) >= j) {
            keepsProvisionedAtStart(aps[j], aps[i]);
            aps.erase(aps.begin() + i);
            restart = true;
          }
        } else {
          keepsProvisionedAtStart(aps[i], aps[j]);
          appendSubjects(aps[i], aps[j]);
          aps.erase(aps.begin() + j);
          --j;
        }
      }
    }
    if (restart)
      --i;  // re-evaluate position i against everything after it
  }
  return aps;
}

}  // namespace gatehouse::parser::options
