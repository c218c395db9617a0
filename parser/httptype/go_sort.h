#pragma once
// Go's sort.SliceStable, step for step. Caddy's adapter sorts with comparators that are not
// strict weak orders (catch-all sites, reversed `vars`), so the result depends on the exact
// algorithm; std::stable_sort would order such inputs differently (or worse).

#include <cstddef>
#include <utility>
#include <vector>

namespace gatehouse::parser::gosort {

template <typename T, typename Less>
class StableSorter {
 public:
  StableSorter(std::vector<T>& data, Less compare) : d_(data), less_(compare) {}

  void run() {
    const int n = static_cast<int>(d_.size());
    int blockSize = 20;
    int a = 0;
    int b = blockSize;
    while (b <= n) {
      insertionSort(a, b);
      a = b;
      b += blockSize;
    }
    insertionSort(a, n);
    while (blockSize < n) {
      a = 0;
      b = 2 * blockSize;
      while (b <= n) {
        symMerge(a, a + blockSize, b);
        a = b;
        b += 2 * blockSize;
      }
      if (int m = a + blockSize; m < n) {
        symMerge(a, m, n);
      }
      blockSize *= 2;
    }
  }

 private:
  bool less(int i, int j) { return less_(d_[static_cast<size_t>(i)], d_[static_cast<size_t>(j)]); }
  void swap(int i, int j) { std::swap(d_[static_cast<size_t>(i)], d_[static_cast<size_t>(j)]); }

  void insertionSort(int a, int b) {
    for (int i = a + 1; i < b; ++i) {
      for (int j = i; j > a && less(j, j - 1); --j) {
        swap(j, j - 1);
      }
    }
  }

  void symMerge(int a, int m, int b) {
    if (m - a == 1) {
      int i = m;
      int j = b;
      while (i < j) {
        int h = static_cast<int>(static_cast<unsigned>(i + j) >> 1);
        if (less(h, a)) {
          i = h + 1;
        } else {
          j = h;
        }
      }
      for (int k = a; k < i - 1; ++k) {
        swap(k, k + 1);
      }
      return;
    }
    if (b - m == 1) {
      int i = a;
      int j = m;
      while (i < j) {
        int h = static_cast<int>(static_cast<unsigned>(i + j) >> 1);
        if (!less(m, h)) {
          i = h + 1;
        } else {
          j = h;
        }
      }
      for (int k = m; k > i; --k) {
        swap(k, k - 1);
      }
      return;
    }
    int mid = static_cast<int>(static_cast<unsigned>(a + b) >> 1);
    int n = mid + m;
    int start = 0;
    int r = 0;
    if (m > mid) {
      start = n - b;
      r = mid;
    } else {
      start = a;
      r = m;
    }
    int p = n - 1;
    while (start < r) {
      int c = static_cast<int>(static_cast<unsigned>(start + r) >> 1);
      if (!less(p - c, c)) {
        start = c + 1;
      } else {
        r = c;
      }
    }
    int end = n - start;
    if (start < m && m < end) {
      rotate(start, m, end);
    }
    if (a < start && start < mid) {
      symMerge(a, start, mid);
    }
    if (mid < end && end < b) {
      symMerge(mid, end, b);
    }
  }

  void swapRange(int a, int b, int n) {
    for (int i = 0; i < n; ++i) {
      swap(a + i, b + i);
    }
  }

  void rotate(int a, int m, int b) {
    int i = m - a;
    int j = b - m;
    while (i != j) {
      if (i > j) {
        swapRange(m - i, m, j);
        i -= j;
      } else {
        swapRange(m - i, m + j - i, i);
        j -= i;
      }
    }
    swapRange(m - i, m, i);
  }

  std::vector<T>& d_;
  Less less_;
};

// Sorts like Go's sort.SliceStable(data, less).
template <typename T, typename Less>
void sliceStable(std::vector<T>& data, Less compare) {
  StableSorter<T, Less>(data, compare).run();
}

}  // namespace gatehouse::parser::gosort
