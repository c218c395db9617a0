// The file matcher (Caddy's MatchFile): picks one of try_files under root by try_policy
// (after cutting each at a split_path delimiter) and sets
// {http.matchers.file.relative|absolute|remainder|type}. With first_exist, an entry
// "=NNN" reached before any file exists short-circuits the route with that status (the
// request goes to the error routes), as Caddy 2.6 does. first_exist_fallback (Caddy 2.7, which
// the php_fastcgi adapter emits) takes its last entry if it exists, file or directory.
#include <glob.h>
#include <sys/stat.h>

#include <cctype>
#include <charconv>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>

#include "gatehouse/runtime/request_path_fs.h"
#include "http/uri.h"
#include "provision/provision_error.h"
#include "router/matcher_error.h"
#include "router/matcher_factories.h"
#include "router/placeholders.h"

namespace gatehouse::router {

using config::Json;
using detail::stringList;
using provision::ProvisionError;
using runtime::Exchange;
using runtime::Matcher;

namespace {

enum class TryPolicy { FirstExist, SmallestSize, LargestSize, MostRecentlyModified };

struct Candidate {
  std::string relative;   // the cleaned try_files entry (up to a split_path delimiter)
  std::string absolute;   // joined under root
  std::string remainder;  // what followed the split_path delimiter
  bool wantDir = false;   // the entry ended in '/'
};

// Caddy's firstSplit: the path up to and including the first delimiter (ASCII case-folded)
// that ends a path segment, and the rest.
std::pair<std::string, std::string> firstSplit(const std::string& path,
                                               const std::vector<std::string>& splits) {
  auto lower = [](std::string s) {
    for (char& c : s) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
  };
  const std::string folded = lower(path);
  for (const auto& split : splits) {
    const size_t idx = folded.find(lower(split));
    if (idx == std::string::npos) {
      continue;
    }
    const size_t pos = idx + split.size();
    if (pos != path.size() && path[pos] != '/') {
      continue;  // not the end of a file name ("a.phpx")
    }
    return {path.substr(0, pos), path.substr(pos)};
  }
  return {path, ""};
}

// "=404" -> 404 (Caddy's parseErrorCode: 100..999, else the entry is a file name).
std::optional<int> statusEntry(const std::string& raw) {
  if (raw.size() < 2 || raw[0] != '=') {
    return std::nullopt;
  }
  int code = 0;
  auto [ptr, ec] = std::from_chars(raw.data() + 1, raw.data() + raw.size(), code);
  if (ec != std::errc() || ptr != raw.data() + raw.size() || code < 100 || code > 999) {
    return std::nullopt;
  }
  return code;
}

// Go: suffix = path.Clean(file) (+ "/" when the try_files pattern ends in one: its text
// before placeholders are replaced, so "{path}" for "/dir/" wants a file, not the
// directory); SanitizedPathJoin(root, suffix).
Candidate resolve(const std::string& root, const std::string& file, const std::vector<std::string>& splits,
                  bool patternDir) {
  Candidate c;
  c.relative = file.empty() ? std::string(".") : http::cleanPath(file);
  // Go's path.Clean drops a trailing slash before the split, so the remainder never keeps
  // one: "/index.php/apps/files/" gives PATH_INFO "/apps/files" (Nextcloud's pretty URLs).
  if (c.relative.size() > 1 && c.relative.back() == '/') {
    c.relative.pop_back();
  }
  if (!splits.empty()) {
    std::tie(c.relative, c.remainder) = firstSplit(c.relative, splits);
  }
  c.wantDir = patternDir;
  if (c.wantDir && (c.relative.empty() || c.relative.back() != '/')) {
    c.relative += '/';
  } else if (!c.wantDir && c.relative.size() > 1 && c.relative.back() == '/') {
    c.relative.pop_back();
  }
  std::string joined = http::cleanPath("/" + c.relative);
  if (joined.size() > 1 && joined.back() == '/') {
    joined.pop_back();
  }
  c.absolute = joined == "/" ? root : (root == "/" ? joined : root + joined);
  if (c.wantDir && c.absolute.back() != '/') {
    c.absolute += '/';
  }
  return c;
}

// A try_files entry with glob characters in its literal text ("/*.html"): placeholder
// values are escaped before globbing, so a request path cannot widen the pattern.
class GlobEntry {
 public:
  explicit GlobEntry(const std::string& raw) {
    size_t i = 0;
    std::string literal;
    while (i < raw.size()) {
      if (raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == '{' || raw[i + 1] == '}')) {
        literal += raw.substr(i, 2);
        i += 2;
        continue;
      }
      const size_t close = raw[i] == '{' ? raw.find('}', i) : std::string::npos;
      if (close == std::string::npos) {
        literal += raw[i++];
        continue;
      }
      parts_.emplace_back(Template(literal), false);
      literal.clear();
      parts_.emplace_back(Template(raw.substr(i, close - i + 1)), true);
      i = close + 1;
    }
    parts_.emplace_back(Template(literal), false);
  }

  static bool wanted(const std::string& raw) { return raw.find_first_of("*?[") != std::string::npos; }

  [[nodiscard]] std::string render(const Exchange& ex) const {
    std::string out;
    for (const auto& [t, placeholder] : parts_) {
      const std::string v = t.render(ex);
      for (char c : v) {
        if (placeholder && (c == '*' || c == '?' || c == '[' || c == '\\')) {
          out += '\\';
        }
        out += c;
      }
    }
    return out;
  }

 private:
  std::vector<std::pair<Template, bool>> parts_;  // (text, is a placeholder)
};

// The files a globbed candidate names, in lexical order (Go's fs.Glob); '*' matches leading
// dots as Go's path.Match does.
std::vector<Candidate> expandGlob(const std::string& root, const Candidate& c) {
  std::vector<Candidate> out;
  glob_t g{};
  if (runtime::holdsNul(c.absolute)) {
    return out;  // Go's Glob stats nothing for it: no match
  }
  if (::glob(c.absolute.c_str(), GLOB_PERIOD, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      Candidate m = c;
      m.absolute = g.gl_pathv[i];
      m.relative = m.absolute.starts_with(root) ? m.absolute.substr(root.size()) : m.absolute;
      out.push_back(std::move(m));
    }
  }
  globfree(&g);
  return out;
}

class FileMatcher final : public Matcher {
 public:
  FileMatcher(Template root, std::vector<std::string> raw, TryPolicy policy, std::vector<std::string> splits,
              bool fallback)
      : root_(std::move(root)),
        raw_(std::move(raw)),
        policy_(policy),
        splits_(std::move(splits)),
        fallback_(fallback) {
    for (const auto& f : raw_) {
      files_.emplace_back(f);
      globs_.push_back(GlobEntry::wanted(f) ? std::make_unique<GlobEntry>(f) : nullptr);
    }
  }

  bool match(Exchange& ex) const override {
    const std::string root = renderRoot(ex);
    if (files_.empty()) {
      return choose(ex, {resolve(root, ex.request.path, splits_, false)});
    }
    std::vector<Candidate> candidates;
    for (size_t i = 0; i < files_.size(); ++i) {
      if (policy_ == TryPolicy::FirstExist) {
        if (auto status = statusEntry(raw_[i])) {
          // Only when no earlier entry exists (choose() returned for those).
          setMatcherError(ex, *status, raw_[i].substr(1));
          return false;
        }
        if (fallback_ && i + 1 == files_.size()) {
          return takeUnchecked(ex, candidatesOf(i, root, ex));
        }
        if (choose(ex, candidatesOf(i, root, ex))) {
          return true;
        }
        continue;
      }
      auto more = candidatesOf(i, root, ex);
      candidates.insert(candidates.end(), more.begin(), more.end());
    }
    return policy_ != TryPolicy::FirstExist && choose(ex, candidates);
  }

 private:
  std::vector<Candidate> candidatesOf(size_t i, const std::string& root, const Exchange& ex) const {
    if (!globs_[i]) {
      return {resolve(root, files_[i].render(ex), splits_, raw_[i].ends_with('/'))};
    }
    return expandGlob(root, resolve(root, globs_[i]->render(ex), splits_, raw_[i].ends_with('/')));
  }

  std::string renderRoot(Exchange& ex) const {
    std::string root = root_.render(ex);
    if (root.empty()) {
      root.push_back('.');  // (not `= "."`: GCC 12 warns falsely on that inlined assignment)
    }
    root = std::filesystem::path(root).lexically_normal().string();
    if (root.size() > 1 && root.back() == '/') {
      root.pop_back();
    }
    return root;
  }

  // Picks among existing candidates by the policy; sets the placeholders for the pick.
  bool choose(Exchange& ex, const std::vector<Candidate>& candidates) const {
    const Candidate* best = nullptr;
    struct stat bestSt {};
    for (const auto& c : candidates) {
      struct stat st {};
      if (runtime::statRequestPath(c.absolute, st) != 0) {
        continue;
      }
      if (policy_ == TryPolicy::FirstExist) {
        // A path ending in '/' must be a directory, any other must not be.
        if (S_ISDIR(st.st_mode) != c.wantDir) {
          continue;
        }
        best = &c;
        bestSt = st;
        break;
      }
      if (best == nullptr || better(st, bestSt)) {
        best = &c;
        bestSt = st;
      }
    }
    if (best == nullptr) {
      return false;
    }
    ex.setCapture(std::string(kFileMatcherCapturePrefix) + "relative", best->relative);
    ex.setCapture(std::string(kFileMatcherCapturePrefix) + "absolute", best->absolute);
    ex.setCapture(std::string(kFileMatcherCapturePrefix) + "remainder", best->remainder);
    ex.setCapture(std::string(kFileMatcherCapturePrefix) + "type",
                  S_ISDIR(bestSt.st_mode) ? "directory" : "file");
    return true;
  }

  // first_exist_fallback's last entry (Caddy 2.7+): no file/directory convention check and
  // typed "file", but it must exist (Caddy expands it through fs.Glob, which drops a path
  // that is not there).
  bool takeUnchecked(Exchange& ex, const std::vector<Candidate>& candidates) const {
    const Candidate* found = nullptr;
    for (const auto& c : candidates) {
      struct stat st {};
      if (runtime::statRequestPath(c.absolute, st) == 0) {
        found = &c;
        break;
      }
    }
    if (found == nullptr) {
      return false;
    }
    const Candidate& c = *found;
    ex.setCapture(std::string(kFileMatcherCapturePrefix) + "relative", c.relative);
    ex.setCapture(std::string(kFileMatcherCapturePrefix) + "absolute", c.absolute);
    ex.setCapture(std::string(kFileMatcherCapturePrefix) + "remainder", c.remainder);
    ex.setCapture(std::string(kFileMatcherCapturePrefix) + "type", "file");
    return true;
  }

  // Caddy's comparisons: a size of 0 counts as "none yet", ties keep the earlier entry.
  bool better(const struct stat& st, const struct stat& best) const {
    switch (policy_) {
      case TryPolicy::SmallestSize:
        return best.st_size == 0 || st.st_size < best.st_size;
      case TryPolicy::LargestSize:
        return best.st_size == 0 || st.st_size > best.st_size;
      case TryPolicy::MostRecentlyModified:
        return st.st_mtim.tv_sec > best.st_mtim.tv_sec ||
               (st.st_mtim.tv_sec == best.st_mtim.tv_sec && st.st_mtim.tv_nsec > best.st_mtim.tv_nsec);
      case TryPolicy::FirstExist:
        break;
    }
    return false;
  }

  Template root_;
  std::vector<std::string> raw_;
  std::vector<Template> files_;
  std::vector<std::unique_ptr<GlobEntry>> globs_;  // null: no glob characters
  TryPolicy policy_;
  std::vector<std::string> splits_;
  bool fallback_;  // first_exist_fallback
};

TryPolicy parsePolicy(const Json& v, const std::string& path) {
  const std::string p = v.is_string() ? v.get<std::string>() : std::string("?");
  if (p.empty() || p == "first_exist" || p == "first_exist_fallback") {
    return TryPolicy::FirstExist;
  }
  if (p == "smallest_size") {
    return TryPolicy::SmallestSize;
  }
  if (p == "largest_size") {
    return TryPolicy::LargestSize;
  }
  if (p == "most_recently_modified") {
    return TryPolicy::MostRecentlyModified;
  }
  throw ProvisionError(path + ".try_policy", "unrecognized try policy '" + p + "'");
}

}  // namespace

std::unique_ptr<Matcher> makeFileMatcher(const Json& value, const std::string& path) {
  if (!value.is_object()) {
    throw ProvisionError(path, "file matcher expects an object");
  }
  std::string root = "{http.vars.root}";
  std::vector<std::string> files;
  TryPolicy policy = TryPolicy::FirstExist;
  bool fallback = false;
  std::vector<std::string> splits;
  for (const auto& [k, v] : value.items()) {
    if (k == "root" && v.is_string()) {
      root = v.get<std::string>();
    } else if (k == "try_files") {
      files = stringList(v, path + ".try_files");
    } else if (k == "try_policy") {
      policy = parsePolicy(v, path);
      fallback = v.is_string() && v.get<std::string>() == "first_exist_fallback";
    } else if (k == "split_path") {
      splits = stringList(v, path + ".split_path");
    } else {
      throw ProvisionError(path + "." + k, "file matcher option '" + k + "' is not supported yet");
    }
  }
  return std::make_unique<FileMatcher>(Template(root), std::move(files), policy, std::move(splits), fallback);
}

}  // namespace gatehouse::router
