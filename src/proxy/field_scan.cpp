#include "proxy/field_scan.h"

#ifdef __SSE2__
#include <emmintrin.h>  // part of every x86-64
#endif

namespace gatehouse::proxy {

// The first byte at or after `p` that is no plain value byte (a control byte, HTAB
// included, or DEL), 16 at a time while 16 remain; `end` if none.
static const char* skipPlain(const char* p, const char* end) {
#ifdef __SSE2__
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i del = _mm_set1_epi8(0x7f);
  while (end - p >= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const int ok = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(x, space), x));  // x >= 0x20
    const int bad = (~ok & 0xffff) | _mm_movemask_epi8(_mm_cmpeq_epi8(x, del));
    if (bad != 0) {
      return p + __builtin_ctz(static_cast<unsigned>(bad));
    }
    p += 16;
  }
#endif
  while (p < end && static_cast<unsigned char>(*p) >= 0x20 && static_cast<unsigned char>(*p) != 0x7f) {
    ++p;
  }
  return p;
}

// Past the value bytes llhttp takes as they are (HTAB too).
const char* skipValue(const char* p, const char* end) {
  for (;;) {
    p = skipPlain(p, end);
    if (p == end || *p != '\t') {
      return p;
    }
    ++p;
  }
}

}  // namespace gatehouse::proxy
