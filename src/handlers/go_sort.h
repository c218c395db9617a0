#pragma once
// Go 1.19's sort.Sort, the order caddy 2.6.2 (built with go1.19.8) leaves equal elements
// in: pattern-defeating quicksort, not stable. A browse listing sorted by size or time has
// ties whose order shows, so std::sort or std::stable_sort would answer differently once a
// directory has more than 12 entries (below that Go sorts by insertion, which is stable).
// The steps follow the algorithm's description in Go's sort package documentation and
// pdqsort paper (arXiv 2106.05123); the constants are Go 1.19's.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace gatehouse::handlers {

template <typename T, typename Less>
class GoSorter {
 public:
  GoSorter(std::vector<T>& v, Less cmp) : v_(v), less_(cmp) {}

  void sort() {
    const size_t n = v_.size();
    if (n > 1) {
      pdq(0, n, static_cast<int>(std::bit_width(n)));
    }
  }

 private:
  enum class Hint { Unknown, Increasing, Decreasing };

  bool less(size_t i, size_t j) { return less_(v_[i], v_[j]); }
  void swap(size_t i, size_t j) { std::swap(v_[i], v_[j]); }

  void insertion(size_t a, size_t b) {
    for (size_t i = a + 1; i < b; ++i) {
      for (size_t j = i; j > a && less(j, j - 1); --j) {
        swap(j, j - 1);
      }
    }
  }

  void siftDown(size_t lo, size_t hi, size_t first) {
    size_t root = lo;
    while (true) {
      size_t child = 2 * root + 1;
      if (child >= hi) {
        return;
      }
      if (child + 1 < hi && less(first + child, first + child + 1)) {
        ++child;
      }
      if (!less(first + root, first + child)) {
        return;
      }
      swap(first + root, first + child);
      root = child;
    }
  }

  void heap(size_t a, size_t b) {
    const size_t hi = b - a;
    for (size_t i = (hi - 1) / 2 + 1; i-- > 0;) {
      siftDown(i, hi, a);
    }
    for (size_t i = hi; i-- > 0;) {
      swap(a, a + i);
      siftDown(0, i, a);
    }
  }

  void pdq(size_t a, size_t b, int limit) {
    constexpr size_t kMaxInsertion = 12;
    bool wasBalanced = true;
    bool wasPartitioned = true;
    while (true) {
      const size_t length = b - a;
      if (length <= kMaxInsertion) {
        insertion(a, b);
        return;
      }
      if (limit == 0) {
        heap(a, b);
        return;
      }
      if (!wasBalanced) {
        breakPatterns(a, b);
        --limit;
      }
      auto [pivot, hint] = choosePivot(a, b);
      if (hint == Hint::Decreasing) {
        reverse(a, b);
        pivot = (b - 1) - (pivot - a);
        hint = Hint::Increasing;
      }
      if (wasBalanced && wasPartitioned && hint == Hint::Increasing && partialInsertion(a, b)) {
        return;
      }
      // Nothing in [a, b) is below the element before it: split off the run equal to it.
      if (a > 0 && !less(a - 1, pivot)) {
        a = partitionEqual(a, b, pivot);
        continue;
      }
      auto [mid, already] = partition(a, b, pivot);
      wasPartitioned = already;
      const size_t left = mid - a;
      const size_t right = b - mid;
      const size_t balance = length / 8;
      if (left < right) {
        wasBalanced = left >= balance;
        pdq(a, mid, limit);
        a = mid + 1;
      } else {
        wasBalanced = right >= balance;
        pdq(mid + 1, b, limit);
        b = mid;
      }
    }
  }

  // Signed indices: the scans may step one below `a + 1` before they stop.
  std::pair<size_t, bool> partition(size_t a, size_t b, size_t pivot) {
    swap(a, pivot);
    auto i = static_cast<std::ptrdiff_t>(a + 1);
    auto j = static_cast<std::ptrdiff_t>(b - 1);
    auto lessAt = [&](std::ptrdiff_t x, size_t y) { return less(static_cast<size_t>(x), y); };
    while (i <= j && lessAt(i, a)) {
      ++i;
    }
    while (i <= j && !lessAt(j, a)) {
      --j;
    }
    if (i > j) {
      swap(static_cast<size_t>(j), a);
      return {static_cast<size_t>(j), true};
    }
    swap(static_cast<size_t>(i), static_cast<size_t>(j));
    ++i;
    --j;
    while (true) {
      while (i <= j && lessAt(i, a)) {
        ++i;
      }
      while (i <= j && !lessAt(j, a)) {
        --j;
      }
      if (i > j) {
        break;
      }
      swap(static_cast<size_t>(i), static_cast<size_t>(j));
      ++i;
      --j;
    }
    swap(static_cast<size_t>(j), a);
    return {static_cast<size_t>(j), false};
  }

  size_t partitionEqual(size_t a, size_t b, size_t pivot) {
    swap(a, pivot);
    auto i = static_cast<std::ptrdiff_t>(a + 1);
    auto j = static_cast<std::ptrdiff_t>(b - 1);
    while (true) {
      while (i <= j && !less(a, static_cast<size_t>(i))) {
        ++i;
      }
      while (i <= j && less(a, static_cast<size_t>(j))) {
        --j;
      }
      if (i > j) {
        break;
      }
      swap(static_cast<size_t>(i), static_cast<size_t>(j));
      ++i;
      --j;
    }
    return static_cast<size_t>(i);
  }

  bool partialInsertion(size_t a, size_t b) {
    constexpr int kMaxSteps = 5;
    constexpr size_t kShortestShifting = 50;
    size_t i = a + 1;
    for (int step = 0; step < kMaxSteps; ++step) {
      while (i < b && !less(i, i - 1)) {
        ++i;
      }
      if (i == b) {
        return true;
      }
      if (b - a < kShortestShifting) {
        return false;
      }
      swap(i, i - 1);
      if (i - a >= 2) {  // the smaller one moves left (down to index 1, as Go)
        for (size_t j = i - 1; j >= 1; --j) {
          if (!less(j, j - 1)) {
            break;
          }
          swap(j, j - 1);
        }
      }
      if (b - i >= 2) {  // the greater one moves right
        for (size_t j = i + 1; j < b; ++j) {
          if (!less(j, j - 1)) {
            break;
          }
          swap(j, j - 1);
        }
      }
    }
    return false;
  }

  void breakPatterns(size_t a, size_t b) {
    const size_t length = b - a;
    if (length < 8) {
      return;
    }
    uint64_t random = length;  // Go 1.19's xorshift (13, 17, 5), seeded with the length
    const uint64_t modulus = uint64_t{1} << std::bit_width(length);
    const size_t mid = a + (length / 4) * 2;
    for (size_t idx = mid - 1; idx <= mid + 1; ++idx) {
      random ^= random << 13;
      random ^= random >> 17;
      random ^= random << 5;
      auto other = static_cast<size_t>(random & (modulus - 1));
      if (other >= length) {
        other -= length;
      }
      swap(idx, a + other);
    }
  }

  std::pair<size_t, Hint> choosePivot(size_t a, size_t b) {
    constexpr size_t kShortestNinther = 50;
    constexpr int kMaxSwaps = 4 * 3;
    const size_t l = b - a;
    int swaps = 0;
    size_t i = a + l / 4 * 1;
    size_t j = a + l / 4 * 2;
    size_t k = a + l / 4 * 3;
    if (l >= 8) {
      if (l >= kShortestNinther) {
        i = median(i - 1, i, i + 1, swaps);
        j = median(j - 1, j, j + 1, swaps);
        k = median(k - 1, k, k + 1, swaps);
      }
      j = median(i, j, k, swaps);
    }
    if (swaps == 0) {
      return {j, Hint::Increasing};
    }
    return {j, swaps == kMaxSwaps ? Hint::Decreasing : Hint::Unknown};
  }

  // The index of the median of three; counts the comparisons that found a pair reversed.
  size_t median(size_t x, size_t y, size_t z, int& swaps) {
    order(x, y, swaps);
    order(y, z, swaps);
    order(x, y, swaps);
    return y;
  }
  void order(size_t& x, size_t& y, int& swaps) {
    if (less(y, x)) {
      ++swaps;
      std::swap(x, y);
    }
  }

  void reverse(size_t a, size_t b) {
    for (size_t i = a, j = b - 1; i < j; ++i, --j) {
      swap(i, j);
    }
  }

  std::vector<T>& v_;
  Less less_;
};

// sort.Sort(data) of Go 1.19 over `v` with `less`.
template <typename T, typename Less>
void goSort(std::vector<T>& v, Less less) {
  GoSorter<T, Less>(v, less).sort();
}

}  // namespace gatehouse::handlers
