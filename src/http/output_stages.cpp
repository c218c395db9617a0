#include "http/output_stages.h"

#include <algorithm>

namespace gatehouse::http {

size_t runOutputStages(runtime::Exchange& ex) {
  const bool waitedBefore = ex.response.headWaits;
  for (size_t i = ex.stages.size(); i-- > 0;) {
    ex.stages[i]->onHead(ex);
    if (!waitedBefore && ex.response.headWaits) {
      return i;  // stages [0, i) wrap the one that waits
    }
  }
  return 0;
}

void runWaitingStages(runtime::Exchange& ex, size_t waiting) {
  for (size_t i = std::min(waiting, ex.stages.size()); i-- > 0;) {
    ex.stages[i]->onHead(ex);
  }
}

}  // namespace gatehouse::http
