#include "handlers/templates.h"

#include "handlers/handlers.h"
#include "provision/provision_error.h"
#include "router/placeholders.h"
#include "router/response_filter.h"
#include "server/server_group.h"
#include "templates/caddy_context.h"

namespace gatehouse::handlers {

namespace {

using runtime::Exchange;
using runtime::Outcome;

constexpr size_t kMaxBuffered = 64u << 20;  // a template page larger than this is refused

// Pulls a streamed body into Response::body, then resumes the exchange. Keeps the work
// that produced the stream (a proxied call) alive until the stream is done.
class BufferBody final : public runtime::PendingWork, public runtime::BodySink {
 public:
  BufferBody(Exchange& ex, std::unique_ptr<runtime::PendingWork> previous)
      : ex_(ex), previous_(std::move(previous)), stream_(std::move(ex.response.stream)) {
    ex.response.streamLength = 0;
  }
  void start() { stream_->pull(ex_.host->loop(), *this); }

  void onBodyData(std::string_view data, bool eof) override {
    if (buffer_.size() + data.size() > kMaxBuffered) {
      error_ = "response body too large to execute as a template";
      finish();
      return;
    }
    buffer_.append(data);
    if (eof) {
      finish();
    } else {
      stream_->pull(ex_.host->loop(), *this);
    }
  }
  void onBodyError(int uvError) override {
    error_ = "reading the response body failed (" + std::to_string(uvError) + ")";
    finish();
  }
  Outcome resumed(Exchange& ex) override {
    if (!error_.empty()) {
      ex.fail(500, error_);
    } else {
      ex.response.body = std::move(buffer_);
    }
    return Outcome::Handled;
  }

 private:
  void finish() {
    stream_.reset();
    ex_.host->resume();
  }
  Exchange& ex_;
  std::unique_ptr<runtime::PendingWork> previous_;
  std::unique_ptr<runtime::BodySource> stream_;
  std::string buffer_;
  std::string error_;
};

class Templates final : public runtime::Handler, public router::ResponseFilter {
 public:
  Templates(router::Template fileRoot, std::vector<std::string> mimeTypes, templates::Delims delims)
      : fileRoot_(std::move(fileRoot)), mimeTypes_(std::move(mimeTypes)), delims_(std::move(delims)) {}

  Outcome handle(Exchange& ex) const override {
    ex.stages.push_back(this);
    return Outcome::Continue;
  }

  Outcome filter(Exchange& ex) const override {
    auto& res = ex.response;
    if (res.abort || res.tunnel != nullptr || !wanted(res.headers.get("Content-Type"))) {
      return Outcome::Handled;
    }
    if (res.stream) {
      auto work = std::make_unique<BufferBody>(ex, std::move(ex.pending));
      BufferBody& b = *work;
      ex.pending = std::move(work);
      b.start();
      return Outcome::Paused;
    }
    templates::CaddyTemplateEnv env;
    env.ex = &ex;
    env.fileRoot = fileRoot_.render(ex);
    if (env.fileRoot.empty()) {
      env.fileRoot = ".";
    }
    env.delims = delims_;
    try {
      res.body = templates::executeCaddyTemplate(env, ex.request.path, res.body);
    } catch (const templates::HttpStatusError& e) {
      ex.fail(e.status, e.what());
      return Outcome::Handled;
    } catch (const templates::TemplateError& e) {
      server::logLine({{"logger", "http.handlers.templates"},
                       {"msg", e.what()},
                       {"uri", ex.request.uri()},
                       {"status", 500}},
                      "error");
      ex.fail(500, e.what());
      return Outcome::Handled;
    }
    if (res.status == 0) {
      res.status = 200;
    }
    res.headers.set("Content-Length", std::to_string(res.body.size()));
    res.headers.remove("Accept-Ranges");  // ranges of dynamic content are unknown
    res.headers.remove("Last-Modified");
    res.headers.remove("Etag");
    return Outcome::Handled;
  }

 private:
  [[nodiscard]] bool wanted(std::string_view contentType) const {
    for (const auto& mt : mimeTypes_) {
      if (contentType.find(mt) != std::string_view::npos) {
        return true;
      }
    }
    return false;
  }

  router::Template fileRoot_;
  std::vector<std::string> mimeTypes_;
  templates::Delims delims_;
};

}  // namespace

std::unique_ptr<runtime::Handler> makeTemplates(const config::Handler& h, const std::string& path) {
  requireKnownFields(h, path, {"file_root", "mime_types", "delimiters"});
  const auto& f = h.fields;
  try {
    router::Template root(f.contains("file_root") ? f["file_root"].get<std::string>() : "{http.vars.root}");
    std::vector<std::string> mimes = {"text/html", "text/plain", "text/markdown"};
    if (f.contains("mime_types")) {
      mimes = f["mime_types"].get<std::vector<std::string>>();
    }
    templates::Delims delims;
    if (f.contains("delimiters")) {
      auto d = f["delimiters"].get<std::vector<std::string>>();
      if (d.size() != 2) {
        throw provision::ProvisionError(path + ".delimiters", "delimiters must consist of exactly two elements: opening and closing");
      }
      delims.left = d[0];
      delims.right = d[1];
    }
    return std::make_unique<Templates>(std::move(root), std::move(mimes), std::move(delims));
  } catch (const config::Json::exception& e) {
    throw provision::ProvisionError(path, std::string("malformed templates: ") + e.what());
  }
}

}  // namespace gatehouse::handlers
