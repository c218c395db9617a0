// browse { template_file }: the listing rendered by a Go template with Caddy 2.6.2's
// listing context (.Name .Path .CanGoUp .Items .NumDirs .NumFiles .Sort .Order .Limit
// .Offset .Breadcrumbs) over the templates handler's context and functions.

#include <fstream>
#include <sstream>

#include "handlers/browse.h"
#include "http/uri.h"
#include "templates/caddy_context.h"
#include "templates/time_value.h"

namespace gatehouse::handlers {

namespace {

using templates::Args;
using templates::Value;

// Go's os.FileMode.String(): type letters, then rwx permissions.
std::string fileModeString(uint32_t mode) {
  static constexpr const char* kTypes = "dalTLDpSugct?";
  std::string out;
  for (int i = 0; i < 13; ++i) {
    if ((mode & (1u << (31 - i))) != 0) {
      out += kTypes[i];
    }
  }
  if (out.empty()) {
    out = "-";
  }
  static constexpr const char* kRwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) {
    out += (mode & (1u << (8 - i))) != 0 ? kRwx[i] : '-';
  }
  return out;
}

class ItemObject final : public templates::Object {
 public:
  explicit ItemObject(ListingItem item) : item_(std::move(item)) {}
  [[nodiscard]] std::string typeName() const override { return "fileserver.fileInfo"; }
  std::optional<Value> get(std::string_view name, const Args& args) override {
    if (name == "HumanModTime") {
      if (args.size() != 1 || !args[0].isString()) {
        throw templates::TemplateError("wrong number of args for HumanModTime: want 1 got " +
                                       std::to_string(args.size()));
      }
      Value t = modTime();
      return t.asObject().get("Format", args);
    }
    if (!args.empty()) {
      throw templates::TemplateError(std::string(name) + " is not a method but has arguments");
    }
    if (name == "Name") {
      return Value(item_.name);
    }
    if (name == "Size") {
      return Value(static_cast<int64_t>(item_.size));
    }
    if (name == "URL") {
      return Value(item_.url);
    }
    if (name == "ModTime") {
      return modTime();
    }
    if (name == "Mode") {
      return Value(fileModeString(item_.mode));
    }
    if (name == "IsDir") {
      return Value(item_.isDir);
    }
    if (name == "IsSymlink") {
      return Value(item_.isSymlink);
    }
    if (name == "HumanSize") {
      return Value(humanSize(item_.size));
    }
    return std::nullopt;
  }

 private:
  [[nodiscard]] Value modTime() const {
    return templates::makeTime(static_cast<int64_t>(item_.modTime) * 1000000000 + item_.modNanos);
  }
  ListingItem item_;
};

class ListingObject final : public templates::Object {
 public:
  ListingObject(const std::vector<ListingItem>& items, ListingContext ctx) : ctx_(std::move(ctx)) {
    // Caddy's Path is path.Clean of the request path ("/d/x/../" -> "/d"): dot segments and
    // doubled slashes resolved, no trailing slash but for the root.
    path_ = http::cleanPath(ctx_.path);
    while (path_.size() > 1 && path_.back() == '/') {
      path_.pop_back();
    }
    templates::List list;
    for (const auto& it : items) {
      list.emplace_back(std::shared_ptr<templates::Object>(std::make_shared<ItemObject>(it)));
    }
    items_ = templates::makeList(std::move(list));
  }
  [[nodiscard]] std::string typeName() const override { return "*fileserver.templateContext"; }

  std::optional<Value> get(std::string_view name, const Args& args) override {
    if (!args.empty()) {
      return std::nullopt;
    }
    if (name == "Name") {
      const size_t slash = path_.rfind('/');
      return Value(path_ == "/" ? path_ : path_.substr(slash + 1));
    }
    if (name == "Path") {
      return Value(path_);
    }
    if (name == "CanGoUp") {
      return Value(path_ != "/");
    }
    if (name == "Items") {
      return items_;
    }
    if (name == "NumDirs") {
      return Value(static_cast<int64_t>(ctx_.numDirs));
    }
    if (name == "NumFiles") {
      return Value(static_cast<int64_t>(ctx_.numFiles));
    }
    if (name == "Sort") {
      return Value(ctx_.sort);
    }
    if (name == "Order") {
      return Value(ctx_.order);
    }
    if (name == "Limit") {
      return Value(ctx_.limit);
    }
    if (name == "Offset") {
      return Value(ctx_.offset);
    }
    if (name == "Breadcrumbs") {
      return breadcrumbs();
    }
    return std::nullopt;
  }

 private:
  // One crumb per path element: {Link: "../" repeated to reach it, Text: its name}.
  [[nodiscard]] Value breadcrumbs() const {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
      const size_t slash = path_.find('/', start);
      parts.push_back(path_.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
      if (slash == std::string::npos) {
        break;
      }
      start = slash + 1;
    }
    if (path_ == "/") {
      parts = {""};
    }
    templates::List out;
    for (size_t i = 0; i < parts.size(); ++i) {
      std::string text = i == 0 && parts[i].empty() ? "/" : parts[i];
      if (auto dec = http::percentDecode(text)) {
        text = *dec;
      }
      std::string link;
      for (size_t k = 0; k + i + 1 < parts.size(); ++k) {
        link += "../";
      }
      Value crumb = templates::makeMap();
      crumb.asMap().entries["Link"] = Value(link);
      crumb.asMap().entries["Text"] = Value(text);
      out.push_back(crumb);
    }
    return templates::makeList(std::move(out));
  }

  ListingContext ctx_;
  std::string path_;
  Value items_;
};

}  // namespace

TemplateTask browseTemplateTask(const std::string& templateFile, const std::string& root,
                                const std::vector<ListingItem>& items, const ListingContext& ctx) {
  TemplateTask task;
  task.readFromFile = templateFile;
  task.fileRoot = root.empty() ? "." : root;
  const size_t slash = templateFile.rfind('/');
  task.name = slash == std::string::npos ? templateFile : templateFile.substr(slash + 1);
  task.extra = std::make_shared<ListingObject>(items, ctx);
  task.browse = true;
  return task;
}

}  // namespace gatehouse::handlers
