// The CEL language as Caddy 2.6.2's expression matcher evaluates it: literals, operators,
// error absorption, overflow, string functions, macros, and the checker's refusals.
#include <catch2/catch.hpp>

#include "router/cel/checker.h"
#include "router/cel/evaluator.h"
#include "router/cel/lexer.h"
#include "router/cel/parser.h"

using namespace gatehouse::router::cel;

namespace {

Value run(const std::string& expr) {
  NodePtr root = parse(expr);
  check(*root);
  return Evaluator(nullptr).eval(*root);
}

bool truth(const std::string& expr) {
  Value v = run(expr);
  INFO(expr << " -> kind " << static_cast<int>(v.kind) << " " << v.s);
  REQUIRE(v.kind == Kind::Bool);
  return v.b;
}

std::string errorOf(const std::string& expr) {
  Value v = run(expr);
  INFO(expr);
  REQUIRE(v.isError());
  return v.s;
}

std::string refusal(const std::string& expr) {
  try {
    NodePtr root = parse(expr);
    check(*root);
  } catch (const CelError& e) {
    return e.what();
  }
  FAIL("accepted: " << expr);
  return "";
}

}  // namespace

TEST_CASE("cel: literals") {
  CHECK(truth("1 == 1"));
  CHECK(truth("0x10 == 16"));
  CHECK(truth("1u == 1u"));
  CHECK(truth("1.5e1 == 15.0"));
  CHECK(truth("-9223372036854775808 < 0"));
  CHECK(truth("'a\\tb' == \"a\\x09b\""));
  CHECK(truth("r'a\\tb'.size() == 4"));
  CHECK(truth("'''x\n'y''' == \"x\\n'y\""));
  CHECK(truth("b'\\xff'.size() == 1"));
  CHECK(truth("'\\u00e9'.size() == 1"));
  CHECK(truth("null == null"));
  CHECK(truth("[1, 2, 3].size() == 3"));
  CHECK(truth("{'a': 1, 'b': 2}['b'] == 2"));
  CHECK(truth("{'a': 1}.a == 1"));
  CHECK(refusal("9223372036854775808 == 0").find("invalid int literal") != std::string::npos);
}

TEST_CASE("cel: logic absorbs errors where the other side decides") {
  CHECK_FALSE(truth("false && 1/0 == 1"));
  CHECK_FALSE(truth("1/0 == 1 && false"));
  CHECK(truth("true || 1/0 == 1"));
  CHECK(truth("1/0 == 1 || true"));
  CHECK(errorOf("true && 1/0 == 1") == "division by zero");
  CHECK(truth("true ? 1 == 1 : 1/0 == 1"));
  CHECK(truth("!false && !!true"));
}

TEST_CASE("cel: arithmetic with overflow errors") {
  CHECK(truth("7 / 2 == 3 && 7 % 2 == 1 && -7 / 2 == -3"));
  CHECK(errorOf("9223372036854775807 + 1 == 0") == "integer overflow");
  CHECK(errorOf("-9223372036854775808 - 1 == 0") == "integer overflow");
  CHECK(errorOf("0u - 1u == 0u") == "unsigned integer overflow");
  CHECK(errorOf("1 % 0 == 0") == "modulus by zero");
  CHECK(truth("1.0 / 0.0 > 1e308"));
  CHECK(truth("'ab' + 'c' == 'abc' && [1] + [2] == [1, 2]"));
}

TEST_CASE("cel: comparisons, membership and equality across types") {
  CHECK(truth("'a' < 'b' && 2 >= 2 && 1u < 2u && 1.5 > 1.0"));
  CHECK(truth("2 in [1, 2] && !(3 in [1, 2]) && 'k' in {'k': 1}"));
  CHECK(truth("dyn(1) == 1u && dyn(1) == 1.0"));
  CHECK_FALSE(truth("dyn('1') == 1"));
  CHECK(errorOf("dyn('1') < 2") == "no such overload");
}

TEST_CASE("cel: string functions") {
  CHECK(truth("'/api/v1'.startsWith('/api') && 'x.php'.endsWith('.php') && 'abc'.contains('b')"));
  CHECK(truth("'abc'.matches('^a.c$') && matches('abc', 'b')"));
  CHECK(truth("size('héllo') == 5 && size(b'h\\xc3\\xa9') == 3"));
  CHECK(truth("'AbC'.lowerAscii() == 'abc' && 'abc'.upperAscii() == 'ABC'"));
  CHECK(truth("' x '.trim() == 'x' && 'a,b'.split(',') == ['a', 'b'] && ['a', 'b'].join('-') == 'a-b'"));
  CHECK(
      truth("'hello'.substring(1, 3) == 'el' && 'hello'.indexOf('l') == 2 && 'hello'.lastIndexOf('l') == 3"));
  CHECK(truth("'aaa'.replace('a', 'b', 2) == 'bba' && 'héllo'.charAt(1) == 'é'"));
  CHECK(errorOf("'abc'.substring(2, 1) == ''").find("invalid substring range") != std::string::npos);
}

TEST_CASE("cel: conversions and types") {
  CHECK(truth("int('42') == 42 && uint(3) == 3u && double(2) == 2.0 && string(1.5) == '1.5'"));
  CHECK(truth("string(true) == 'true' && bytes('a') == b'a' && bool('true')"));
  CHECK(truth("type(1) == int && type('a') == string && type(null) == null_type"));
  CHECK(errorOf("int(dyn('x')) == 0") == "type conversion error from 'string' to 'int'");
  CHECK(errorOf("int(dyn(1e19)) == 0") == "integer overflow");
  CHECK(errorOf("uint(dyn(-1)) == 0u") == "unsigned integer overflow");
  CHECK(errorOf("string(dyn(b'\\xff')) == ''") == "invalid UTF-8 in bytes, cannot convert to string");
  CHECK(truth("duration('1h30m') == duration('90m') && duration('1.5s') > duration('1s')"));
  CHECK(truth("timestamp('2023-01-02T03:04:05Z') - timestamp('2023-01-02T03:04:00Z') == duration('5s')"));
  CHECK(truth("string(timestamp('2023-01-02T03:04:05.5+01:00')) == '2023-01-02T02:04:05.5Z'"));
}

TEST_CASE("cel: timestamp and duration accessors count as cel-go 0.12") {
  const std::string t = "timestamp('2023-03-05T23:04:05.678Z')";
  CHECK(truth(t + ".getFullYear() == 2023 && " + t + ".getMonth() == 2 && " + t + ".getDate() == 5"));
  CHECK(
      truth(t + ".getDayOfMonth() == 4 && " + t + ".getDayOfYear() == 63 && " + t + ".getDayOfWeek() == 0"));
  CHECK(truth(t + ".getHours() == 23 && " + t + ".getMinutes() == 4 && " + t + ".getSeconds() == 5"));
  CHECK(truth(t + ".getMilliseconds() == 678 && " + t + ".getHours('UTC') == 23"));
  CHECK(truth(t + ".getHours('+01:30') == 0 && " + t + ".getMinutes('+01:30') == 34"));
  CHECK(truth(t + ".getDayOfWeek('-02:00') == 0 && " + t + ".getHours('-02:00') == 21"));
  CHECK(truth(t + ".getHours('Europe/Paris') == 0 && " + t + ".getDate('Europe/Paris') == 6"));
  CHECK(truth("timestamp('2023-07-01T12:00:00Z').getHours('America/New_York') == 8"));
  CHECK(errorOf(t + ".getHours('No/Such_Zone') == 1") == "unknown time zone No/Such_Zone");
  CHECK(truth("duration('-90m').getHours() == -1 && duration('90m').getMinutes() == 90"));
  CHECK(truth("duration('1.9s').getSeconds() == 1 && duration('1.9s').getMilliseconds() == 1900"));
  CHECK(refusal("getFullYear(" + t + ") == 1").find("found no matching overload") == 0);
}

TEST_CASE("cel: macros") {
  CHECK(truth("[1, 2, 3].all(x, x > 0) && [1, 2, 3].exists(x, x == 2) && [1, 2].exists_one(x, x == 2)"));
  CHECK(truth("[1, 2].map(x, x * 2) == [2, 4] && [1, 2, 3].filter(x, x != 2) == [1, 3]"));
  CHECK(truth("[1, 2, 3].map(x, x > 1, x * 10) == [20, 30]"));
  CHECK(truth("{'a': 1}.all(k, k == 'a')"));
  CHECK(truth("has({'a': 1}.a) && !has({'a': 1}.b)"));
  CHECK_FALSE(truth("[0, 1].exists(x, 1 / x == 1 && false)"));
  CHECK(truth("[0, 1].exists(x, 1 / x == 1)"));
  CHECK(errorOf("[0, 1].all(x, 1 / x == 1)") == "division by zero");
}

TEST_CASE("cel: the checker refuses what cel-go refuses") {
  CHECK(refusal("1 == 1.0") == "found no matching overload for '_==_' applied to '(int, double)'");
  CHECK(refusal("1 + 'a' == 1") == "found no matching overload for '_+_' applied to '(int, string)'");
  CHECK(refusal("'a'.startsWith(1)") ==
        "found no matching overload for 'startsWith' applied to 'string.(int)'");
  CHECK(refusal("foo(1)") == "undeclared reference to 'foo' (in container '')");
  CHECK(refusal("x == 1") == "undeclared reference to 'x' (in container '')");
  CHECK(refusal("1 ? true : false") ==
        "found no matching overload for '_?_:_' applied to '(int, bool, bool)'");
  CHECK(refusal("(1").find("Syntax error") != std::string::npos);
  CHECK(refusal("1 = 1").find("Syntax error") != std::string::npos);
  CHECK(refusal("has(1)") == "invalid argument to has() macro");
}

TEST_CASE("cel: unimplemented parts are refused, not evaluated") {
  CHECK(refusal("google.protobuf.Duration == type(1)").find("not supported yet") != std::string::npos);
  CHECK(refusal("Foo{a: 1} == 1").find("not supported yet") != std::string::npos);
}

TEST_CASE("cel: hostile nesting is refused, not recursed into") {
  std::string chain = "1";
  for (int i = 0; i < 5000; ++i) {
    chain += " + 1";
  }
  CHECK(refusal(chain + " == 1") == "expression recursion limit exceeded");
  CHECK(refusal(std::string(5000, '(') + "1" + std::string(5000, ')') + " == 1") ==
        "expression recursion limit exceeded");
  CHECK(refusal(std::string(5000, '!') + "true") == "expression recursion limit exceeded");
  CHECK(truth("1 + 1 + 1 + 1 + 1 == 5 && ((((1)))) == 1"));
}

TEST_CASE("cel: error positions") {
  try {
    parse("1 +\n  )");
    FAIL("accepted");
  } catch (const CelError& e) {
    CHECK(e.offset() == 6);
  }
}
