// Go and Sprig behaviour the templates fuzzer found differing (session 19); each expected
// text was measured on caddy 2.6.2.
#include <catch2/catch.hpp>

#include "templates/caddy_context.h"
#include "templates/deep_stack.h"
#include "templates/format.h"
#include "templates/go_decimal.h"
#include "templates/parser.h"
#include "templates/sprig.h"

using namespace gatehouse::templates;

namespace {
std::string eval(const std::string& text) {
  const FuncMap& funcs = baseFunctions();
  TemplateSet set;
  parseTemplate(set, "t", text, [&](std::string_view n) { return funcs.contains(n); });
  std::string out;
  executeTemplate(set, funcs, "t", Value(), out);
  return out;
}
std::string error(const std::string& text) {
  try {
    eval(text);
  } catch (const TemplateError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("templates: eq and ne take nil as unequal to anything but nil", "[templates]") {
  CHECK(eval("{{ eq nil nil }} {{ eq 1 nil }} {{ eq nil \"a\" (list) }} {{ ne \"abc\" nil }}") ==
        "true false false true");
  CHECK(eval("{{ ne (index (dict) \"x\") 1 }} {{ eq (dict \"k\" nil).k (dict \"k\" nil).k }}") ==
        "true true");
  CHECK(error("{{ eq (list) nil 1 }}").ends_with("error calling eq: incompatible types for comparison"));
  CHECK(error("{{ eq (list 1) (list 1) }}")
            .ends_with("error calling eq: non-comparable type [%!s(int=1)]: []interface {}"));
  CHECK(error("{{ eq (list) (dict) }}")
            .ends_with("non-comparable types []: []interface {}, map[string]interface {}: map[]"));
  CHECK(error("{{ lt nil 1 }}").ends_with("error calling lt: invalid type for comparison"));
}

TEST_CASE("templates: values keep Go's static types", "[templates]") {
  CHECK(
      eval("{{ printf \"%T %T %T %T\" (splitList \",\" \"a\") (split \",\" \"a\") (until 2) (add 1 1) }}") ==
      "[]string map[string]string []int int64");
  CHECK(eval("{{ printf \"%T\" (index \"abc\" 1) }} {{ kindOf (semver \"1.2.3\") }} {{ deepEqual (add 1 1) 2 "
             "}}") == "uint8 ptr false");
  CHECK(eval("{{ printf \"%d\" 1 (split \",\" \"a\") }}") == "1%!(EXTRA map[string]string=map[_0:a])");
}

TEST_CASE("templates: index at the length fails in reflect", "[templates]") {
  CHECK(error("{{ index (list 1) 1 }}").ends_with("error calling index: reflect: slice index out of range"));
  CHECK(error("{{ index \"ab\" 2 }}").ends_with("error calling index: reflect: string index out of range"));
  CHECK(error("{{ index (list 1) 2 }}").ends_with("error calling index: index out of range: 2"));
}

TEST_CASE("templates: divf divides shopspring decimals", "[templates]") {
  CHECK(decimalDivide(97, {150, 0.1}) == 6.466666666666667);
  CHECK(decimalDivide(1, {3}) == 0.3333333333333333);
  CHECK(decimalDivide(-1, {3}) == -0.3333333333333333);
  CHECK(decimalDivide(2, {}) == 2);
  CHECK_THROWS_AS(decimalDivide(1, {0}), TemplateError);
  CHECK(eval("{{ divf 97 1.5e2 0.1 }}") == "6.466666666666667");
}

TEST_CASE("templates: regex functions step over matches as Go's regexp", "[templates]") {
  CHECK(eval("{{ regexFindAll \"b*\" \"abb\" -1 | toJson }}") == "[\"\",\"bb\"]");
  CHECK(eval("{{ regexReplaceAll \"b*\" \"abbc日\" \"<$0>\" }}") == "<>a<bb>c<>日<>");
  CHECK(eval("{{ regexSplit \"b*\" \"abbc日\" -1 | toJson }}") == "[\"a\",\"c\",\"日\"]");
  CHECK(eval("{{ regexFindAll \"a\" \"b\" -1 | toJson }} {{ regexMatch \"a(\" \"x\" }}") == "null false");
  CHECK(error("{{ regexFind \"a(\" \"x\" }}")
            .ends_with("regexp: Compile(`a(`): error parsing regexp: missing closing ): `a(`"));
  CHECK(error("{{ mustRegexMatch \"x{2,1}\" \"x\" }}")
            .ends_with("error parsing regexp: invalid repeat count: `{2,1}`"));
}

TEST_CASE("templates: merge follows mergo, sortAlpha Sprig's strslice", "[templates]") {
  CHECK(eval("{{ merge (dict \"b\" 2) (dict \"k\" nil) }}") == "map[b:2]");
  CHECK(eval("{{ merge (dict \"a\" (dict \"x\" 1)) (dict \"a\" (dict \"y\" 2)) }}") == "map[a:map[x:1 y:2]]");
  CHECK(eval("{{ merge (dict \"a\" \"\" \"b\" 0) (dict \"a\" \"x\" \"b\" 5) }}") == "map[a:x b:5]");
  CHECK(eval("{{ mergeOverwrite (dict \"b\" 2) (dict \"b\" nil) }}") == "map[b:<nil>]");
  CHECK(eval("{{ sortAlpha (list 1 \"x\" nil) }} {{ $l := splitList \",\" \"b,a\" }}{{ sortAlpha $l }}{{ $l "
             "}}") == "[1 x] [a b][a b]");
}

TEST_CASE("templates: JSON as encoding/json writes it", "[templates]") {
  CHECK(eval("{{ toJson (b64dec \"/w==\") }} {{ toJson \"a\u2028<\" }} {{ toRawJson \"<\" }}") ==
        "\"\\ufffd\" \"a\\u2028\\u003c\" \"<\"");
  auto [meta, body] = splitFrontMatter("---\na: 1\n---\nbody");
  CHECK(toJsonText(makeFrontMatterDoc(meta, body), true) == "{\"meta\":{\"a\":1},\"body\":\"\\nbody\"}");
  CHECK(eval("{{ toJson (toDate \"2006-01-02\" \"2020-03-04\") }}") == "\"2020-03-04T00:00:00Z\"");
}

TEST_CASE("templates: fmt's sharp floats and strconv quoting", "[templates]") {
  CHECK(goSprintf("%#x|%#g|%#.0f|%#v", {Value(16.0), Value(1.5), Value(3.0), Value(1.5)}) ==
        "0x1.0000p+04|1.50000|3.|1.5");
  CHECK(goSprintf("%#q", {Value(1.5)}) == "%!q(float64=1.50000)");
  CHECK(goQuote("\xc2\xa0x\xff") == "\"\\u00a0x\\xff\"");
  CHECK(goSprintf("%+q", {Value("日本")}) == "\"\\u65e5\\u672c\"");
}

TEST_CASE("templates: parse errors name the item as Go's lexer holds it", "[templates]") {
  CHECK(error("{{ \"a\"1 }}") == "template: t:1: unexpected \"1\" in operand");
  CHECK(error("{{ print \"a\"(1) }}") == "template: t:1: unexpected \"(\" in operand");
  CHECK(error("{{ \"a\".b }}") == "template: t:1: unexpected . after term \"\\\"a\\\"\"");
  CHECK(error("{{ if true }}{{ end \"abcdefghijklmnop\" }}") ==
        "template: t:1: unexpected \"\\\"abcdefghi\"... in end");
  CHECK(error("{{range $i, $e := (list)}}{{ end }}{{ end }}\n") == "template: t:1: unexpected {{end}}");
}

TEST_CASE("templates: front matter formats", "[templates]") {
  CHECK(printValue(splitFrontMatter("---\nc: {d: 2, e: [x, 'y z']}\na: &x 1\nb: *x\n---\nb").first) ==
        "map[a:1 b:1 c:map[d:2 e:[x y z]]]");
  CHECK(printValue(splitFrontMatter("---\nt: \"q\\tx\"\ns: 'it''s'\n---\nb").first) == "map[s:it's t:q\tx]");
  CHECK(
      printValue(splitFrontMatter("+++\nc.d = true\n[t]\nu = 1\n[[e]]\nf = 1\n[[e]]\nf = 2\n+++\nb").first) ==
      "map[c:map[d:true] e:[map[f:1] map[f:2]] t:map[u:1]]");
  CHECK_THROWS_WITH(splitFrontMatter("---\n- a\n---\nb"),
                    "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!seq into map[string]interface {}");
}

TEST_CASE("templates: deep nesting neither crashes nor blows up", "[templates]") {
  std::string ifs;
  for (int i = 0; i < 20000; ++i) {
    ifs += "{{ if 1 }}";
  }
  ifs += "x";
  for (int i = 0; i < 20000; ++i) {
    ifs += "{{ end }}";
  }
  std::string out;
  runOnDeepStack([&] { out = eval(ifs); });  // one line: columns are kept, not rescanned
  CHECK(out == "x");
  const std::string parens = "{{ " + std::string(1001, '(') + "1" + std::string(1001, ')') + " }}";
  CHECK(error(parens) == "template: t:1: parentheses nested deeper than 1000 are not supported yet");
  std::string depth;
  runOnDeepStack(
      [&] { depth = error("{{ define \"a\" }}{{ template \"a\" . }}{{ end }}{{ template \"a\" 1 }}"); });
  CHECK(depth.ends_with("at <{{template \"a\" .}}>: exceeded maximum template depth (100000)"));
}
