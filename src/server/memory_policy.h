#pragma once
// How the serving process asks glibc to treat large allocations.

namespace gatehouse::server {

// Allocations of 128 KiB and more (compressor contexts, proxy buffers, large bodies) are
// mapped on their own and go back to the system when freed. glibc's default raises that
// threshold each time such a block is freed, after which they come from the heap and stay
// there: a burst of 50 zstd streams left RSS at 150 MB for good (with this, it falls back
// to about 30 MB once they end).
void returnLargeBlocksToSystem();

}  // namespace gatehouse::server
