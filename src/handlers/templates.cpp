#include "handlers/templates.h"

#include "gatehouse/runtime/error_traces.h"
#include "handlers/handlers.h"
#include "handlers/template_work.h"
#include "handlers/writer_wrap.h"
#include "provision/provision_error.h"
#include "router/placeholders.h"
#include "router/response_filter.h"

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
      ex.fail(500, error_, runtime::traces::kNoCaddyOrigin);  // the wrapped handler's error in caddy
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

class Templates final : public runtime::Handler, public router::ResponseFilter, public HidesReadFrom {
 public:
  Templates(router::Template fileRoot, std::vector<std::string> mimeTypes, templates::Delims delims)
      : fileRoot_(std::move(fileRoot)), mimeTypes_(std::move(mimeTypes)), delims_(std::move(delims)) {}

  Outcome handle(Exchange& ex) const override {
    ex.stages.push_back(this);
    return Outcome::Continue;
  }

  // Caddy's recorder buffers (hiding Go's ReadFrom) only a body it will execute; any other
  // streams through with ReadFrom kept (a .json sidecar under templates is chunked).
  [[nodiscard]] bool hidesReadFrom(const Exchange& ex) const override {
    return wanted(ex.response.headers.get("Content-Type"));
  }

  Outcome filter(Exchange& ex) const override {
    auto& res = ex.response;
    if (auto* work = dynamic_cast<TemplateWork*>(ex.pending.get());
        work != nullptr && work->owner() == this && work->finished()) {
      if (work->apply(ex)) {
        finishHeaders(res);
      }
      return Outcome::Handled;
    }
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
    // Executed on the thread pool; this filter runs again when it is over (above).
    TemplateTask task;
    task.name = ex.request.path;
    task.body = std::move(res.body);
    // The length described the body taken to render: the output gets its own (finishHeaders),
    // and a template that fails must not leave it on an error answer without that body.
    res.headers.remove("Content-Length");
    task.fileRoot = fileRoot_.render(ex);
    if (task.fileRoot.empty()) {
      task.fileRoot = ".";
    }
    task.delims = delims_;
    auto work = std::make_unique<TemplateWork>(ex, std::move(task), this, std::move(ex.pending));
    TemplateWork& w = *work;
    ex.pending = std::move(work);
    w.start();
    return Outcome::Paused;
  }

 private:
  static void finishHeaders(runtime::Response& res) {
    if (res.status == 0) {
      res.status = 200;
    }
    res.headers.set("Content-Length", std::to_string(res.body.size()));
    res.headers.remove("Accept-Ranges");  // ranges of dynamic content are unknown
    res.headers.remove("Last-Modified");
    res.headers.remove("Etag");
  }

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
        throw provision::ProvisionError(
            path + ".delimiters", "delimiters must consist of exactly two elements: opening and closing");
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
