// Sprig's math functions: integer ones convert with cast.ToInt64 and return int64, the
// `f` variants and floor/ceil/round return float64.

#include <algorithm>
#include <cmath>
#include <random>

#include "templates/go_decimal.h"
#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

void atLeast(const Args& a, size_t n, const char* fn) {
  if (a.size() < n) {
    throw TemplateError(std::string("wrong number of args for ") + fn + ": want at least " +
                        std::to_string(n) + " got " + std::to_string(a.size()));
  }
}

}  // namespace

void addSprigMath(FuncMap& f) {
  f["add1"] = [](Args& a) {
    wantArgs(a, 1, "add1");
    return typed(Value(toInt64(a[0]) + 1), "int64");
  };
  f["add"] = [](Args& a) {
    int64_t s = 0;
    for (const auto& v : a) {
      s += toInt64(v);
    }
    return typed(Value(s), "int64");
  };
  f["sub"] = [](Args& a) {
    atLeast(a, 2, "sub");
    return typed(Value(toInt64(a[0]) - toInt64(a[1])), "int64");
  };
  f["mul"] = [](Args& a) {
    atLeast(a, 1, "mul");
    int64_t p = toInt64(a[0]);
    for (size_t i = 1; i < a.size(); ++i) {
      p *= toInt64(a[i]);
    }
    return typed(Value(p), "int64");
  };
  f["div"] = [](Args& a) {
    atLeast(a, 2, "div");
    const int64_t d = toInt64(a[1]);
    if (d == 0) {
      throw TemplateError("runtime error: integer divide by zero");
    }
    return typed(Value(toInt64(a[0]) / d), "int64");
  };
  f["mod"] = [](Args& a) {
    atLeast(a, 2, "mod");
    const int64_t d = toInt64(a[1]);
    if (d == 0) {
      throw TemplateError("runtime error: integer divide by zero");
    }
    return typed(Value(toInt64(a[0]) % d), "int64");
  };
  f["max"] = [](Args& a) {
    atLeast(a, 1, "max");
    int64_t m = toInt64(a[0]);
    for (const auto& v : a) {
      m = std::max(m, toInt64(v));
    }
    return typed(Value(m), "int64");
  };
  f["biggest"] = f["max"];
  f["min"] = [](Args& a) {
    atLeast(a, 1, "min");
    int64_t m = toInt64(a[0]);
    for (const auto& v : a) {
      m = std::min(m, toInt64(v));
    }
    return typed(Value(m), "int64");
  };
  // The f functions fold shopspring decimals (templates/go_decimal.h).
  auto fold = [](const Args& a, size_t from, DecimalOp op, double start) {
    std::vector<double> rest;
    for (size_t i = from; i < a.size(); ++i) {
      rest.push_back(toFloat64(a[i]));
    }
    return Value(decimalFold(start, rest, op));
  };
  f["add1f"] = [](Args& a) {
    atLeast(a, 1, "add1f");
    return Value(decimalFold(toFloat64(a[0]), {1}, DecimalOp::Add));
  };
  f["addf"] = [fold](Args& a) { return fold(a, 0, DecimalOp::Add, 0); };
  f["subf"] = [fold](Args& a) {
    atLeast(a, 1, "subf");
    return fold(a, 1, DecimalOp::Sub, toFloat64(a[0]));
  };
  f["mulf"] = [fold](Args& a) {
    atLeast(a, 1, "mulf");
    return fold(a, 1, DecimalOp::Mul, toFloat64(a[0]));
  };
  f["divf"] = [](Args& a) {
    atLeast(a, 1, "divf");
    std::vector<double> divisors;
    for (size_t i = 1; i < a.size(); ++i) {
      divisors.push_back(toFloat64(a[i]));
    }
    return Value(decimalDivide(toFloat64(a[0]), divisors));
  };
  f["maxf"] = [](Args& a) {
    atLeast(a, 1, "maxf");
    double m = toFloat64(a[0]);
    for (const auto& v : a) {
      m = std::max(m, toFloat64(v));
    }
    return Value(m);
  };
  f["minf"] = [](Args& a) {
    atLeast(a, 1, "minf");
    double m = toFloat64(a[0]);
    for (const auto& v : a) {
      m = std::min(m, toFloat64(v));
    }
    return Value(m);
  };
  f["floor"] = [](Args& a) {
    wantArgs(a, 1, "floor");
    return Value(std::floor(toFloat64(a[0])));
  };
  f["ceil"] = [](Args& a) {
    wantArgs(a, 1, "ceil");
    return Value(std::ceil(toFloat64(a[0])));
  };
  f["round"] = [](Args& a) {
    atLeast(a, 2, "round");
    const double roundOn = a.size() > 2 ? toFloat64(a[2]) : 0.5;
    const double pow = std::pow(10.0, static_cast<double>(toInt64(a[1])));
    const double digit = pow * toFloat64(a[0]);
    double intPart = 0;
    const double frac = std::modf(digit, &intPart);
    const double r = frac >= roundOn ? std::ceil(digit) : std::floor(digit);
    return Value(r / pow);
  };
  f["seq"] = [](Args& a) {
    // GNU seq: seq LAST, seq FIRST LAST, seq FIRST INCREMENT LAST; space-separated.
    if (a.empty() || a.size() > 3) {
      return Value("");
    }
    int64_t first = 1;
    int64_t step = 1;
    int64_t last = toInt64(a.back());
    if (a.size() >= 2) {
      first = toInt64(a[0]);
    }
    if (a.size() == 3) {
      step = toInt64(a[1]);
    } else if (first > last) {
      step = -1;
    }
    std::string out;
    if (step == 0) {
      return Value("");
    }
    int count = 0;
    for (int64_t i = first; step > 0 ? i <= last : i >= last; i += step) {
      if (++count > 1000000) {
        throw TemplateError("seq: too many items");
      }
      if (!out.empty()) {
        out += ' ';
      }
      out += std::to_string(i);
    }
    return Value(out);
  };
  f["randInt"] = [](Args& a) {
    atLeast(a, 2, "randInt");
    const int64_t lo = toInt64(a[0]);
    const int64_t hi = toInt64(a[1]);
    if (hi <= lo) {
      throw TemplateError("randInt: invalid argument to Intn");
    }
    std::random_device rd;
    std::uniform_int_distribution<int64_t> dist(lo, hi - 1);
    return Value(dist(rd));
  };
}

}  // namespace gatehouse::templates
