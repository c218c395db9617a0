// file_server's provisioning: the JSON config read into a FileServer (file_server.h), with
// the options this server does not implement refused by name.

#include <algorithm>

#include "handlers/file_server.h"
#include "handlers/handlers.h"
#include "http/mime_table.h"
#include "provision/provision_error.h"

namespace gatehouse::handlers {

using provision::ProvisionError;
using router::Template;

namespace {

using Suffixes = std::vector<std::pair<std::string, std::string>>;

// The encodings a sidecar may have, with its file suffix, in the default order.
const Suffixes& knownSuffixes() {
  static const Suffixes kSuffixes = {{"br", ".br"}, {"zstd", ".zst"}, {"gzip", ".gz"}};
  return kSuffixes;
}

bool knownEncoding(const std::string& enc) {
  const auto& known = knownSuffixes();
  return std::any_of(known.begin(), known.end(), [&](const auto& s) { return s.first == enc; });
}

// Each "precompressed" encoder: a known encoding, without options.
void checkPrecompressed(const config::Json& precompressed, const std::string& path) {
  for (const auto& [enc, cfg] : precompressed.items()) {
    if (!knownEncoding(enc)) {
      throw ProvisionError(path + ".precompressed." + enc,
                           "precompressed encoding '" + enc + "' is not supported");
    }
    if (!cfg.is_object() || !cfg.empty()) {
      throw ProvisionError(path + ".precompressed." + enc,
                           "options of precompressed encoders are not supported yet");
    }
  }
}

// "precompressed": {"br": {}, "gzip": {}} and "precompressed_order": ["br", "gzip"] ->
// (encoding, suffix) pairs in order. Without an order: br, zstd, gzip.
Suffixes parsePrecompressed(const config::Json& f, const std::string& path) {
  Suffixes out;
  if (!f.contains("precompressed")) {
    return out;
  }
  checkPrecompressed(f["precompressed"], path);
  const bool ordered = f.contains("precompressed_order");
  std::vector<std::string> order;
  if (ordered) {
    order = f["precompressed_order"].get<std::vector<std::string>>();
  } else {
    for (const auto& [enc, _] : knownSuffixes()) {
      order.push_back(enc);
    }
  }
  // An ordered encoding without a precompressed module is passed over, as caddy's lookup
  // finds no precompressor for it and tries the next.
  for (const auto& enc : order) {
    if (f["precompressed"].contains(enc)) {
      const auto& known = knownSuffixes();
      out.push_back(*std::find_if(known.begin(), known.end(), [&](const auto& s) { return s.first == enc; }));
    }
  }
  return out;
}

// browse {...}: only template_file is read; newer options are refused by name.
void readBrowse(const config::Json& browse, const std::string& path, FileServer& fs) {
  for (const auto& [key, value] : browse.items()) {
    if (key == "template_file") {
      fs.browseTemplate = value.get<std::string>();
      continue;
    }
    const bool newer = key == "sort" || key == "file_limit";  // Caddy 2.9
    throw ProvisionError(path + ".browse." + key, "browse option '" + key + (newer ? "' (Caddy 2.9+)" : "'") +
                                                      " is not supported yet");
  }
  fs.browse = true;
}

// root, hide, index_names: the templates the lookup renders per request.
void readPaths(const config::Json& f, FileServer& fs) {
  if (f.contains("root")) {
    fs.root = Template(f["root"].get<std::string>());
  }
  if (f.contains("hide")) {
    for (const auto& v : f["hide"]) {
      fs.hide.emplace_back(v.get<std::string>());
    }
  }
  if (f.contains("index_names")) {
    fs.indexNames.clear();
    for (const auto& v : f["index_names"]) {
      fs.indexNames.emplace_back(v.get<std::string>());
    }
  }
}

// Options of later Caddy versions or other file systems, refused by name.
void refuseUnsupported(const config::Json& f, const std::string& path) {
  if (f.contains("fs")) {
    throw ProvisionError(path + ".fs", "file_server option 'fs' is not supported yet");
  }
  if (f.contains("etag_file_extensions")) {
    throw ProvisionError(path + ".etag_file_extensions",
                         "file_server option 'etag_file_extensions' (Caddy 2.8+) is not supported yet");
  }
}

}  // namespace

std::unique_ptr<runtime::Handler> makeFileServer(const config::Handler& h, const std::string& path) {
  const auto& f = h.fields;
  refuseUnsupported(f, path);
  requireKnownFields(h, path,
                     {"root", "hide", "index_names", "canonical_uris", "pass_thru", "status_code",
                      "precompressed", "precompressed_order", "browse"});
  auto fs = std::make_unique<FileServer>();
  http::MimeTable::system();  // read the MIME database at start-up, not on a serving loop
  try {
    readPaths(f, *fs);
    fs->precompressed = parsePrecompressed(f, path);
    if (f.contains("browse")) {
      readBrowse(f["browse"], path, *fs);
    }
    fs->canonicalUris = f.value("canonical_uris", true);
    fs->passThru = f.value("pass_thru", false);
    if (f.contains("status_code")) {
      const auto& s = f["status_code"];
      // Caddy's WeakString: a number keeps its JSON text (a float too; serving then fails to
      // read it as a status, as in caddy 2.6.2). get<int>() of a double past int's range was
      // undefined (UBSan float-cast-overflow, status_code 1e300).
      fs->statusCode = Template(s.is_string()   ? s.get<std::string>()
                                : s.is_number() ? s.dump()
                                                : std::to_string(s.get<int>()));
    }
  } catch (const config::Json::exception& e) {
    throw ProvisionError(path, std::string("malformed file_server: ") + e.what());
  }
  return fs;
}

}  // namespace gatehouse::handlers
