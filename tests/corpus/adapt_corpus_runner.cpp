// Runs Caddy's own Caddyfile adapter fixtures (shared/corpus/caddyfile_adapt) against
// Gatehouse's adapter, in place. Each fixture is a Caddyfile, a line of ten dashes, and either
// the JSON `caddy adapt` prints (compared as JSON values, then as text: same keys in Caddy's
// order) or text the error must contain.
//
// Error texts in Caddy carry positions as "Caddyfile:6: msg" or "msg, at Caddyfile:6"; ours
// are always "Caddyfile:6:COL: msg". The runner takes the position out of the expected text,
// checks it against ours, and requires the rest of the text verbatim.
//
// usage: adapt_corpus_runner [--corpus DIR] [--filter TEXT] [--min-pass N] [--verbose]
// The corpus is found at $GATEHOUSE_CORPUS, else ../shared/corpus beside the source tree.

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gatehouse/config/site_graph.h"
#include "gatehouse/config/site_graph_writer.h"
#include "gatehouse/parser/adapter.h"

namespace fs = std::filesystem;
using gatehouse::config::Json;

namespace {

// Fixtures not run, each with its reason. Keep this list short and honest.
const std::map<std::string, std::string> kSkips = {
    {"log_filters.caddyfiletest",
     "filter fields named outside `fields` (newer Caddy's flat form): caddy 2.6.2 refuses them, so does "
     "Gatehouse (caddy262 fixture log_filter_flat_fields_refused)"},
    {"log_multiple_regexp_filters.caddyfiletest",
     "filter fields named outside `fields` (newer Caddy's flat form): caddy 2.6.2 refuses them, so does "
     "Gatehouse (caddy262 fixture log_filter_flat_fields_refused)"},
    {"file_server_hide_repeated.caddyfiletest",
     "newer Caddy appends the lists of repeated `hide` lines; caddy 2.6.2 keeps the last line's, as "
     "Gatehouse does (caddy262 fixture file_server_hide_last_line)"},
    {"sort_directives_within_handle.caddyfiletest",
     "newer Caddy sorts an exact path before the same path with a trailing wildcard; caddy 2.6.2 "
     "sorts by length alone (/strip* first), as Gatehouse does (caddy262 fixture "
     "sort_wildcard_before_exact)"},
};

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// First place where two JSON values differ, as a path.
std::string firstDiff(const nlohmann::json& want, const nlohmann::json& got, const std::string& path) {
  if (want.type() != got.type()) {
    return path + ": want " + want.dump() + " got " + got.dump();
  }
  if (want.is_object()) {
    for (const auto& [k, v] : want.items()) {
      if (!got.contains(k))
        return path + "." + k + ": missing (want " + v.dump().substr(0, 200) + ")";
      std::string d = firstDiff(v, got.at(k), path + "." + k);
      if (!d.empty())
        return d;
    }
    for (const auto& [k, v] : got.items()) {
      if (!want.contains(k))
        return path + "." + k + ": unexpected " + v.dump().substr(0, 200);
    }
    return "";
  }
  if (want.is_array()) {
    for (size_t i = 0; i < std::min(want.size(), got.size()); ++i) {
      std::string d = firstDiff(want[i], got[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty())
        return d;
    }
    if (want.size() != got.size()) {
      return path + ": want " + std::to_string(want.size()) + " items, got " + std::to_string(got.size());
    }
    return "";
  }
  return want == got ? "" : path + ": want " + want.dump() + " got " + got.dump();
}

// `gatehouse adapt` prints with dumpConfig (no JSON tree); it must print the very bytes that
// dump(toJson()) prints, compact and indented. Returns "" or what differs.
std::string writerDiff(const gatehouse::config::Config& config) {
  for (const bool pretty : {false, true}) {
    const std::string tree = gatehouse::config::dump(gatehouse::config::toJson(config), pretty);
    const std::string written = gatehouse::config::dumpConfig(config, pretty);
    if (tree != written) {
      size_t at = 0;
      while (at < tree.size() && at < written.size() && tree[at] == written[at])
        ++at;
      return std::string("dumpConfig differs from dump(toJson())") + (pretty ? " (pretty)" : "") +
             " at byte " + std::to_string(at) + ": ..." + written.substr(at, 60);
    }
  }
  return "";
}

std::string firstTextDiff(const std::string& want, const std::string& got, const char* what) {
  if (want == got)
    return "";
  size_t at = 0;
  while (at < want.size() && at < got.size() && want[at] == got[at])
    ++at;
  const size_t from = at > 60 ? at - 60 : 0;
  return std::string("same JSON, but the ") + what + " text differs at byte " + std::to_string(at) +
         ":\n      want: ..." + want.substr(from, 160) + "\n      got:  ..." + got.substr(from, 160);
}

// `gatehouse adapt` must print Caddy's very text: the same keys in the same order. Caddy's
// fixtures are its output indented with tabs (as `caddy adapt --pretty` prints), so they are
// compared as they stand with --pretty, and compacted (order kept) with the compact form.
std::string textDiff(const std::string& expected, const gatehouse::config::Config& config) {
  const std::string compact = gatehouse::config::dump(Json::parse(expected), false);
  std::string d = firstTextDiff(compact, gatehouse::config::dumpConfig(config, false), "compact");
  if (d.empty())
    d = firstTextDiff(expected, gatehouse::config::dumpConfig(config, true), "--pretty");
  return d;
}

struct ExpectedError {
  std::string text;  // without position
  int line = 0;      // 0 when the expected text names no position
};

ExpectedError splitExpectedError(std::string expected) {
  ExpectedError e;
  std::smatch m;
  static const std::regex leading(R"(^Caddyfile:(\d+): )");
  static const std::regex trailing(R"(, at Caddyfile:(\d+)$)");
  if (std::regex_search(expected, m, leading)) {
    e.line = std::stoi(m[1]);
    expected = m.suffix();
  } else if (std::regex_search(expected, m, trailing)) {
    e.line = std::stoi(m[1]);
    expected = m.prefix();
  }
  e.text = expected;
  return e;
}

bool errorMatches(const gatehouse::parser::ConfigError& err, const ExpectedError& want, std::string& why) {
  const std::string msg = err.what();
  if (msg.find(want.text) == std::string::npos) {
    why = "error text differs:\n      want: " + want.text + "\n      got:  " + msg;
    return false;
  }
  if (want.line != 0) {
    const auto& loc = err.location();
    if (loc.file() != "Caddyfile" || loc.line != want.line) {
      why = "error position differs: want Caddyfile:" + std::to_string(want.line) + ", got " + msg;
      return false;
    }
  }
  return true;
}

// Caddy's fixtures read ../caddy.ca.cer, a file of Caddy's repository that the corpus does
// not carry; its DER is in the expected JSON of the fixtures that read it, so rebuild the PEM.
void writeTestCaCertificate(const std::vector<fs::path>& files, const fs::path& out) {
  for (const auto& file : files) {
    const std::string content = readFile(file);
    const size_t sep = content.find("\n----------");
    if (sep == std::string::npos || content.substr(0, sep).find("../caddy.ca.cer") == std::string::npos) {
      continue;
    }
    static const std::regex der(R"re("trusted_ca_certs":\s*\[\s*"([A-Za-z0-9+/=]+)")re");
    std::smatch m;
    const std::string expected = content.substr(sep);
    if (!std::regex_search(expected, m, der)) {
      continue;
    }
    const std::string b64 = m[1];
    std::ofstream pem(out, std::ios::binary);
    pem << "-----BEGIN CERTIFICATE-----\n";
    for (size_t i = 0; i < b64.size(); i += 64) {
      pem << b64.substr(i, 64) << "\n";
    }
    pem << "-----END CERTIFICATE-----\n";
    return;
  }
}

fs::path findCorpus(const std::string& flag) {
  if (!flag.empty())
    return flag;
  if (const char* env = std::getenv("GATEHOUSE_CORPUS"))
    return env;
  for (fs::path dir = fs::current_path(); !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / "../shared/corpus/caddyfile_adapt"))
      return fs::canonical(dir / "../shared/corpus");
    if (dir == dir.parent_path())
      break;
  }
#ifdef GATEHOUSE_SOURCE_DIR
  if (fs::exists(fs::path(GATEHOUSE_SOURCE_DIR) / "../shared/corpus")) {
    return fs::canonical(fs::path(GATEHOUSE_SOURCE_DIR) / "../shared/corpus");
  }
#endif
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  std::string corpusFlag, filter;
  int minPass = 0;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--corpus" && i + 1 < argc)
      corpusFlag = argv[++i];
    else if (a == "--filter" && i + 1 < argc)
      filter = argv[++i];
    else if (a == "--min-pass" && i + 1 < argc)
      minPass = std::atoi(argv[++i]);
    else if (a == "--verbose" || a == "-v")
      verbose = true;
    else {
      std::cerr << "usage: adapt_corpus_runner [--corpus DIR] [--filter TEXT] [--min-pass N] [--verbose]\n";
      return 2;
    }
  }
  fs::path corpus = findCorpus(corpusFlag);
  if (corpus.empty() || !fs::exists(corpus / "caddyfile_adapt")) {
    std::cerr << "adapt_corpus_runner: the fixture corpus is absent: set GATEHOUSE_CORPUS or place "
                 "shared/corpus beside the checkout\n";
    return 1;
  }
  corpus = fs::canonical(corpus);

  // Fixtures adapt as ./Caddyfile in a folder whose testdata/ is the corpus's, with Caddy's
  // test CA certificate one level up (Caddy's caddytest/ layout).
  const fs::path root = fs::temp_directory_path() / ("gatehouse-corpus-" + std::to_string(getpid()));
  const fs::path work = root / "integration";
  fs::create_directories(work);
  fs::create_directory_symlink(corpus / "testdata", work / "testdata");

  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(corpus / "caddyfile_adapt")) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  writeTestCaCertificate(files, root / "caddy.ca.cer");
  fs::current_path(work);

  int passed = 0, failed = 0, skipped = 0;
  int roundTrips = 0, roundTripFailures = 0;
  std::vector<std::string> failures;
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    if (!filter.empty() && name.find(filter) == std::string::npos)
      continue;
    if (auto it = kSkips.find(name); it != kSkips.end()) {
      ++skipped;
      std::cout << "SKIP " << name << ": " << it->second << "\n";
      continue;
    }
    const std::string content = readFile(file);
    const size_t sep = content.find("\n----------");
    if (sep == std::string::npos) {
      std::cout << "FAIL " << name << ": no ---------- separator\n";
      ++failed;
      continue;
    }
    const std::string caddyfile = trim(content.substr(0, sep)) + "\n";
    const std::string expected = trim(content.substr(content.find('\n', sep + 1) + 1));
    { std::ofstream(work / "Caddyfile", std::ios::binary) << caddyfile; }

    std::string why;
    bool ok = false;
    const bool wantJson = !expected.empty() && expected[0] == '{';
    if (wantJson) {
      // The expected JSON must load into the site graph and print back as the same value.
      std::string rt;
      try {
        nlohmann::json want = nlohmann::json::parse(expected);
        auto graph = gatehouse::config::configFromJson(Json::parse(expected));
        rt = firstDiff(want, nlohmann::json::parse(gatehouse::config::toJson(graph).dump()), "");
        if (rt.empty())
          rt = writerDiff(graph);
        if (rt.empty())
          rt = textDiff(expected, graph);
      } catch (const std::exception& e) {
        rt = e.what();
      }
      if (rt.empty()) {
        ++roundTrips;
      } else {
        ++roundTripFailures;
        std::cout << "FAIL " << name << " (JSON round trip): " << rt << "\n";
      }
    }
    try {
      auto result = gatehouse::parser::adaptCaddyfile(caddyfile, "Caddyfile");
      if (!wantJson) {
        why = "adapted, but Caddy rejects it with: " + expected;
      } else {
        nlohmann::json got = nlohmann::json::parse(gatehouse::config::toJson(result.config).dump());
        nlohmann::json want = nlohmann::json::parse(expected);
        why = firstDiff(want, got, "");
        if (why.empty())
          why = writerDiff(result.config);
        if (why.empty())
          why = textDiff(expected, result.config);
        ok = why.empty();
      }
    } catch (const gatehouse::parser::ConfigError& e) {
      if (wantJson) {
        why = std::string("unexpected error: ") + e.what();
      } else {
        ok = errorMatches(e, splitExpectedError(expected), why);
      }
    } catch (const std::exception& e) {
      why = std::string("exception escaped the adapter: ") + e.what();
    }
    if (ok) {
      ++passed;
      if (verbose)
        std::cout << "PASS " << name << "\n";
    } else {
      ++failed;
      failures.push_back(name);
      std::cout << "FAIL " << name << ": " << why << "\n";
    }
  }
  fs::current_path(corpus);
  fs::remove_all(root);

  std::cout << "\ncaddyfile_adapt corpus: " << passed << " of " << (passed + failed + skipped)
            << " fixtures pass (" << skipped << " skipped)\n";
  std::cout << "JSON round trip (fixture JSON -> site graph -> JSON): " << roundTrips << " of "
            << (roundTrips + roundTripFailures) << " identical\n";
  failed += roundTripFailures;
  std::cout << passed << " passed, " << failed << " failed";
  if (skipped)
    std::cout << ", " << skipped << " skipped";
  std::cout << "\n";
  if (passed < minPass) {
    std::cerr << "fewer than the required " << minPass << " fixtures pass\n";
    return 1;
  }
  return 0;
}
