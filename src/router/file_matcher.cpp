// The file matcher (Caddy's MatchFile): picks one of try_files under root by try_policy and
// sets {http.matchers.file.relative|absolute|remainder|type}. With first_exist, an entry
// "=NNN" reached before any file exists short-circuits the route with that status (the
// request goes to the error routes), as Caddy 2.6 does.
#include <sys/stat.h>

#include <charconv>
#include <ctime>
#include <filesystem>
#include <optional>

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
  std::string relative;  // the cleaned try_files entry
  std::string absolute;  // joined under root
  bool wantDir = false;  // the entry ended in '/'
};

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

// Go: suffix = path.Clean(file) (+ "/" when file ends in one); SanitizedPathJoin(root, suffix).
Candidate resolve(const std::string& root, const std::string& file) {
  Candidate c;
  c.relative = file.empty() ? std::string(".") : http::cleanPath(file);
  c.wantDir = !file.empty() && file.back() == '/';
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

class FileMatcher final : public Matcher {
 public:
  FileMatcher(Template root, std::vector<std::string> raw, TryPolicy policy)
      : root_(std::move(root)), raw_(std::move(raw)), policy_(policy) {
    for (const auto& f : raw_) {
      files_.emplace_back(f);
    }
  }

  bool match(Exchange& ex) const override {
    const std::string root = renderRoot(ex);
    if (files_.empty()) {
      return choose(ex, {resolve(root, ex.request.path)});
    }
    std::vector<Candidate> candidates;
    for (size_t i = 0; i < files_.size(); ++i) {
      if (policy_ == TryPolicy::FirstExist) {
        if (auto status = statusEntry(raw_[i])) {
          // Only when no earlier entry exists (choose() returned for those).
          setMatcherError(ex, *status, raw_[i].substr(1));
          return false;
        }
        if (choose(ex, {resolve(root, files_[i].render(ex))})) {
          return true;
        }
        continue;
      }
      candidates.push_back(resolve(root, files_[i].render(ex)));
    }
    return policy_ != TryPolicy::FirstExist && choose(ex, candidates);
  }

 private:
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
      if (::stat(c.absolute.c_str(), &st) != 0) {
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
    ex.setCapture(std::string(kFileMatcherCapturePrefix) + "remainder", "");
    ex.setCapture(std::string(kFileMatcherCapturePrefix) + "type", S_ISDIR(bestSt.st_mode) ? "directory" : "file");
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
  TryPolicy policy_;
};

TryPolicy parsePolicy(const Json& v, const std::string& path) {
  const std::string p = v.is_string() ? v.get<std::string>() : std::string("?");
  if (p.empty() || p == "first_exist") {
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
  for (const auto& [k, v] : value.items()) {
    if (k == "root" && v.is_string()) {
      root = v.get<std::string>();
    } else if (k == "try_files") {
      files = stringList(v, path + ".try_files");
    } else if (k == "try_policy") {
      policy = parsePolicy(v, path);
    } else {
      throw ProvisionError(path + "." + k, "file matcher option '" + k + "' is not supported yet");
    }
  }
  return std::make_unique<FileMatcher>(Template(root), std::move(files), policy);
}

}  // namespace gatehouse::router
