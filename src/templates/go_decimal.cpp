#include "templates/go_decimal.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>

#include "templates/value.h"

namespace gatehouse::templates {

namespace {

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct BnCtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

constexpr int kPrecision = 16;  // decimal.DivisionPrecision

Bn newBn() {
  Bn b(BN_new());
  if (!b) {
    throw TemplateError("decimal: out of memory");
  }
  return b;
}

// sign * mantissa * 10^exp, exactly.
struct Decimal {
  Bn mantissa = newBn();
  int exp = 0;
  bool negative = false;
};

// decimal.NewFromFloat: the shortest decimal text that reads back as `f`.
Decimal fromFloat(double f) {
  if (!std::isfinite(f)) {  // shopspring panics; text/template reports the panic
    throw TemplateError(std::string("Cannot create a Decimal from ") + (std::isnan(f) ? "NaN"
                                                                        : f > 0       ? "+Inf"
                                                                                      : "-Inf"));
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string text(buf, end);  // [-]d.ddde[+-]XX
  Decimal d;
  d.negative = text[0] == '-';
  if (d.negative) {
    text.erase(0, 1);
  }
  const size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c != '.') {
      digits += c;
    }
  }
  d.exp = std::stoi(text.substr(e + 1)) - static_cast<int>(digits.size() - 1);
  BIGNUM* raw = d.mantissa.get();
  BN_dec2bn(&raw, digits.c_str());
  return d;
}

// `b` times 10^n (n >= 0).
void scaleUp(BIGNUM* b, int n, BN_CTX* ctx) {
  if (n <= 0) {
    return;
  }
  Bn ten = newBn();
  Bn exponent = newBn();
  Bn power = newBn();
  BN_set_word(ten.get(), 10);
  BN_set_word(exponent.get(), static_cast<BN_ULONG>(n));
  BN_exp(power.get(), ten.get(), exponent.get(), ctx);
  BN_mul(b, b, power.get(), ctx);
}

// Decimal.Div: the quotient truncated to kPrecision digits after the point, then rounded
// half away from zero on the remainder.
Decimal divide(const Decimal& a, const Decimal& b, BN_CTX* ctx) {
  if (BN_is_zero(b.mantissa.get())) {
    throw TemplateError("decimal division by 0");
  }
  // a/b * 10^p = (ma * 10^k) / mb with k = ea - eb + p (a negative k scales mb instead)
  const int k = a.exp - b.exp + kPrecision;
  Bn num(BN_dup(a.mantissa.get()));
  Bn den(BN_dup(b.mantissa.get()));
  if (!num || !den) {
    throw TemplateError("decimal: out of memory");
  }
  scaleUp(num.get(), k, ctx);
  scaleUp(den.get(), -k, ctx);
  Decimal q;
  Bn rem = newBn();
  BN_div(q.mantissa.get(), rem.get(), num.get(), den.get(), ctx);
  BN_lshift1(rem.get(), rem.get());
  if (BN_cmp(rem.get(), den.get()) >= 0) {
    BN_add_word(q.mantissa.get(), 1);
  }
  q.exp = -kPrecision;
  q.negative = a.negative != b.negative && !BN_is_zero(q.mantissa.get());
  return q;
}

// sign * mantissa * 10^exp with the mantissa scaled to exponent `exp` (<= d.exp), signed.
Bn signedAt(const Decimal& d, int exp, BN_CTX* ctx) {
  Bn m(BN_dup(d.mantissa.get()));
  if (!m) {
    throw TemplateError("decimal: out of memory");
  }
  scaleUp(m.get(), d.exp - exp, ctx);
  BN_set_negative(m.get(), d.negative ? 1 : 0);
  return m;
}

Decimal fromSigned(Bn m, int exp) {
  Decimal d;
  d.negative = BN_is_negative(m.get()) != 0 && !BN_is_zero(m.get());
  BN_set_negative(m.get(), 0);
  d.mantissa = std::move(m);
  d.exp = exp;
  return d;
}

Decimal combine(const Decimal& a, const Decimal& b, DecimalOp op, BN_CTX* ctx) {
  if (op == DecimalOp::Div) {
    return divide(a, b, ctx);
  }
  if (op == DecimalOp::Mul) {
    Bn m = newBn();
    BN_mul(m.get(), a.mantissa.get(), b.mantissa.get(), ctx);
    BN_set_negative(m.get(), a.negative != b.negative ? 1 : 0);
    return fromSigned(std::move(m), a.exp + b.exp);
  }
  const int exp = std::min(a.exp, b.exp);  // exact: both at the smaller exponent
  Bn x = signedAt(a, exp, ctx);
  Bn y = signedAt(b, exp, ctx);
  Bn r = newBn();
  if (op == DecimalOp::Add) {
    BN_add(r.get(), x.get(), y.get());
  } else {
    BN_sub(r.get(), x.get(), y.get());
  }
  return fromSigned(std::move(r), exp);
}

}  // namespace

double decimalFold(double a, const std::vector<double>& operands, DecimalOp op) {
  std::unique_ptr<BN_CTX, BnCtxFree> ctx(BN_CTX_new());
  if (!ctx) {
    throw TemplateError("decimal: out of memory");
  }
  Decimal q = fromFloat(a);
  for (double d : operands) {
    q = combine(q, fromFloat(d), op, ctx.get());
  }
  if (BN_is_zero(q.mantissa.get())) {
    return 0;  // big.Int has no negative zero
  }
  char* digits = BN_bn2dec(q.mantissa.get());
  if (digits == nullptr) {
    throw TemplateError("decimal: out of memory");
  }
  const std::string text = (q.negative ? "-" : "") + std::string(digits) + "e" + std::to_string(q.exp);
  OPENSSL_free(digits);
  return std::strtod(text.c_str(), nullptr);  // Rat.Float64: the nearest float64
}

double decimalDivide(double a, const std::vector<double>& divisors) {
  return decimalFold(a, divisors, DecimalOp::Div);
}

}  // namespace gatehouse::templates
