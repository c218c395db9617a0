#include "server/memory_policy.h"

#include <malloc.h>

namespace gatehouse::server {

void returnLargeBlocksToSystem() {
  // Setting the threshold at all turns glibc's dynamic adjustment of it off.
  constexpr int kLargeBlock = 128 * 1024;
  mallopt(M_MMAP_THRESHOLD, kLargeBlock);
}

}  // namespace gatehouse::server
