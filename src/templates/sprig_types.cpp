// Sprig's type tests and toDecimal: typeIs / typeIsLike compare Go's %T of a value,
// toDecimal reads fmt.Sprint of its argument as an octal number (0 when it is not one).

#include <cerrno>
#include <cstdlib>

#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

std::string goTypeName(const Value& v) {
  return v.isNil() ? "<nil>" : kindName(v);
}

// strconv.ParseInt(s, 8, 64): an optional sign, octal digits only, no overflow.
int64_t parseOctal(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i == s.size()) {
    return 0;
  }
  for (size_t k = i; k < s.size(); ++k) {
    if (s[k] < '0' || s[k] > '7') {
      return 0;
    }
  }
  errno = 0;
  const long long n = std::strtoll(s.c_str(), nullptr, 8);
  return errno == ERANGE ? 0 : n;
}

}  // namespace

void addSprigTypes(FuncMap& f) {
  f["typeIs"] = [](Args& a) {
    wantArgs(a, 2, "typeIs");
    return Value(strval(a[0]) == goTypeName(a[1]));
  };
  f["typeIsLike"] = [](Args& a) {
    wantArgs(a, 2, "typeIsLike");
    const std::string target = strval(a[0]);
    const std::string t = goTypeName(a[1]);
    return Value(target == t || "*" + target == t);
  };
  f["toDecimal"] = [](Args& a) {
    wantArgs(a, 1, "toDecimal");
    return typed(Value(parseOctal(printValue(a[0]))), "int64");
  };
}

}  // namespace gatehouse::templates
