#include <catch2/catch.hpp>

#include "templates/executor.h"
#include "templates/parser.h"

using namespace gatehouse::templates;

namespace {
std::string run(const std::string& text, const Value& dot = Value(), const Delims& d = {}) {
  FuncMap funcs;
  addGoBuiltins(funcs);
  TemplateSet set;
  parseTemplate(
      set, "t", text, [&](std::string_view n) { return funcs.contains(n); }, d);
  std::string out;
  executeTemplate(set, funcs, "t", dot, out);
  return out;
}
Value sampleMap() {
  Value m = makeMap();
  m.asMap().entries["Name"] = Value("gate");
  m.asMap().entries["N"] = Value(3);
  m.asMap().entries["L"] = makeList({Value("a"), Value("b"), Value("c")});
  return m;
}
}  // namespace

TEST_CASE("templates: text and actions with trim markers and comments", "[templates]") {
  CHECK(run("a {{- \" b \" -}} c") == "a b c");
  CHECK(run("x {{/* hidden */}} y") == "x  y");
  CHECK(run("x {{- /* hidden */ -}} y") == "xy");
  CHECK(run("{{ 1 }} {{ 1.5 }} {{ true }} {{ 'a' }} {{ 0x10 }} {{ 1e6 }}") == "1 1.5 true 97 16 1e+06");
  CHECK(run("{{ `raw\\n` }}") == "raw\\n");
}

TEST_CASE("templates: fields, variables, pipelines", "[templates]") {
  CHECK(run("{{ .Name }} {{ .N }} {{ .Missing }} {{ .L }}", sampleMap()) == "gate 3 <no value> [a b c]");
  CHECK(run("{{ $x := .Name }}{{ $x }}{{ $x = \"y\" }}{{ $x }}", sampleMap()) == "gatey");
  CHECK(run("{{ .Name | printf \"%s!\" | printf \"%q\" }}", sampleMap()) == "\"gate!\"");
  CHECK(run("{{ (index .L 1) }}{{ len .L }}{{ slice .L 1 }}", sampleMap()) == "b3[b c]");
}

TEST_CASE("templates: control structures", "[templates]") {
  CHECK(run("{{ if eq .N 1 }}one{{ else if eq .N 3 }}three{{ else }}other{{ end }}", sampleMap()) == "three");
  CHECK(run("{{ range $i, $v := .L }}{{ $i }}={{ $v }};{{ end }}", sampleMap()) == "0=a;1=b;2=c;");
  CHECK(run("{{ range .L }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ . }}{{ end }}", sampleMap()) == "a");
  CHECK(run("{{ range .L }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ . }}{{ end }}", sampleMap()) == "ac");
  CHECK(run("{{ range .Nope }}x{{ else }}empty{{ end }}", sampleMap()) == "empty");
  CHECK(run("{{ range $k, $v := . }}{{ $k }} {{ end }}", sampleMap()) == "L N Name ");
  CHECK(run("{{ with .Name }}[{{ . }}]{{ end }}{{ with .Zip }}no{{ else }}none{{ end }}", sampleMap()) ==
        "[gate]none");
  CHECK(
      run("{{ define \"x\" }}<{{ . }}>{{ end }}{{ template \"x\" .N }}{{ block \"b\" 2 }}({{ . }}){{ end }}",
          sampleMap()) == "<3>(2)");
}

TEST_CASE("templates: builtins", "[templates]") {
  CHECK(run("{{ and 1 0 2 }} {{ or 0 \"\" \"z\" }} {{ not 0 }}") == "0 z true");
  CHECK(run("{{ printf \"%5.2f|%-4d|%x|%v|%03d|%t\" 3.14159 7 255 \"s\" 5 true }}") ==
        " 3.14|7   |ff|s|005|true");
  CHECK(run("{{ printf \"%d\" \"x\" }}") == "%!d(string=x)");
  CHECK(run("{{ print 1 2 \"a\" 3 }}") == "1 2a3");
  CHECK(run("{{ html \"<a href='x'>&\" }}") == "&lt;a href=&#39;x&#39;&gt;&amp;");
  CHECK(run("{{ js \"a'b<\" }}") == "a\\'b\\u003C");
  CHECK(run("{{ urlquery \"a b&c\" }}") == "a+b%26c");
  CHECK(run("{{ lt 1 2 }}{{ ge \"b\" \"a\" }}{{ ne 1 1 }}") == "truetruefalse");
  CHECK_THROWS_AS(run("{{ eq 1 1.0 }}"), TemplateError);
}

TEST_CASE("templates: parse errors", "[templates]") {
  CHECK_THROWS_WITH(run("{{ nope }}"), Catch::Contains("function \"nope\" not defined"));
  CHECK_THROWS_WITH(run("{{ $y }}"), Catch::Contains("undefined variable \"$y\""));
  CHECK_THROWS_WITH(run("{{ if 1 }}x"), Catch::Contains("unexpected EOF"));
  CHECK_THROWS_WITH(run("{{ break }}"), Catch::Contains("outside {{range}}"));
}

TEST_CASE("templates: custom delimiters", "[templates]") {
  Delims d{"[[", "]]"};
  CHECK(run("{{ x }} [[ 1 ]] [[- 2 -]] ok", Value(), d) == "{{ x }} 12ok");
}

#include "templates/caddy_context.h"

TEST_CASE("templates: Caddy helpers", "[templates]") {
  CHECK(stripHtml("<p>a <b>b</b> < 3</p>") == "a b < 3");
  CHECK(humanizeBytes(5) == "5 B");
  CHECK(humanizeBytes(2048) == "2.0 kB");
  CHECK(humanizeBytes(1234567) == "1.2 MB");
  auto [meta, body] = splitFrontMatter("---\ntitle: Hi\nn: 2\n---\nbody");
  CHECK(printValue(meta) == "map[n:2 title:Hi]");
  CHECK(body == "\nbody");
  CHECK(printValue(splitFrontMatter("plain").first) == "map[]");
  CHECK_THROWS_AS(splitFrontMatter("---\ntitle: x\n"), TemplateError);
}

TEST_CASE("templates: Sprig functions through the base map", "[templates]") {
  const FuncMap& funcs = baseFunctions();
  auto eval = [&](const std::string& text) {
    TemplateSet set;
    parseTemplate(set, "t", text, [&](std::string_view n) { return funcs.contains(n); });
    std::string out;
    executeTemplate(set, funcs, "t", Value(), out);
    return out;
  };
  CHECK(eval("{{ upper \"a\" }}{{ add 1 2 }}{{ default \"d\" \"\" }}") == "A3d");
  CHECK(eval("{{ toJson (dict \"a\" (list 1 \"<\")) }}") == "{\"a\":[1,\"\\u003c\"]}");
  CHECK(eval("{{ regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\" }}") == "-W-xxW-");
  CHECK(eval("{{ date \"2006-01-02\" 1700000000 }}").size() == 10);
  CHECK_THROWS_AS(eval("{{ div 1 0 }}"), TemplateError);
}

TEST_CASE("templates: execution errors carry Go's line:column and node text", "[templates]") {
  // Measured against caddy 2.6.2 ({err.message} in handle_errors): the column is the byte
  // offset in its line (0-based), a failed call names the whole command with its arguments as
  // written, a field chain is placed at its second field, and a `define`d template reports the
  // file it was parsed in.
  CHECK_THROWS_WITH(
      run("{{ index .L 5 }}", sampleMap()),
      "template: t:1:3: executing \"t\" at <index .L 5>: error calling index: index out of range: 5");
  CHECK_THROWS_WITH(
      run("a\n  {{ printf \"%d\" | index `k` }}", sampleMap()),
      Catch::StartsWith("template: t:2:19: executing \"t\" at <index `k`>: error calling index"));
  CHECK_THROWS_WITH(
      run("x{{ .Name.Foo }}", sampleMap()),
      "template: t:1:9: executing \"t\" at <.Name.Foo>: can't evaluate field Foo in type string");
  CHECK_THROWS_WITH(run("{{ len }}"),
                    "template: t:1:3: executing \"t\" at <len>: wrong number of args for len: "
                    "want 1 got 0");
  CHECK_THROWS_WITH(
      run("{{ define \"d\" }}\n {{ index 1 2 }}{{ end }}{{ template \"d\" }}"),
      Catch::StartsWith("template: t:2:4: executing \"d\" at <index 1 2>: error calling index"));
  CHECK_THROWS_WITH(run("{{ range 3 }}{{ end }}"),
                    "template: t:1:9: executing \"t\" at <3>: range can't iterate over 3");
  CHECK_THROWS_WITH(
      run("{{ template \"nope\" }}"),
      "template: t:1:12: executing \"t\" at <{{template \"nope\"}}>: template \"nope\" not defined");
}
