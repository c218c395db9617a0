#include "handlers/template_work.h"

#include <fstream>
#include <optional>
#include <sstream>

#include "gatehouse/runtime/error_traces.h"
#include "server/server_group.h"
#include "templates/deep_stack.h"

namespace gatehouse::handlers {

namespace {

// A page may make this many httpInclude calls: each one costs a run of the whole page.
constexpr size_t kMaxIncludes = 64;

// Thrown on the pool at an httpInclude the loop has not served yet. Not a std::exception,
// so nothing in the executor turns it into a template error.
struct NeedInclude {
  std::string uri;
  int level;
};

// The parts of the exchange a template reads (placeholders, .Req, .Cookie, vars) or
// writes (.RespHeader), copied so the pool never touches the live exchange.
void copyExchange(const runtime::Exchange& from, runtime::Exchange& to) {
  to.request = from.request;
  to.response.status = from.response.status;
  to.response.headers = from.response.headers;
  to.vars = from.vars;
  to.captures = from.captures;
  to.upstream = from.upstream;
  to.error = from.error;
  to.host = nullptr;  // loop-only: the pool never calls the host
}

}  // namespace

struct TemplateWork::Include {
  std::string uri;
  int status = 0;
  std::string body;
};

struct TemplateWork::Job {
  uv_work_t req{};
  TemplateWork* owner = nullptr;
  TemplateTask task;
  runtime::Exchange snapshot;
  runtime::HeaderList startHeaders;  // every run starts from the fields before the first
  std::vector<Include> includes;     // httpInclude answers, in call order
  // What the run gave.
  std::string out;
  int errorStatus = 0;  // 0: no error
  std::string error;
  bool logError = false;  // a broken template (500), as opposed to httpError's status
  std::optional<NeedInclude> need;

  void run();
};

// On the pool thread.
void TemplateWork::Job::run() {
  out.clear();
  errorStatus = 0;
  error.clear();
  need.reset();
  snapshot.response.headers = startHeaders;
  templates::CaddyTemplateEnv env;
  env.ex = &snapshot;
  env.fileRoot = task.fileRoot;
  env.delims = task.delims;
  size_t calls = 0;
  env.subrequest = [this, &calls](const std::string& uri, int level) -> std::pair<int, std::string> {
    const size_t i = calls++;
    if (i < includes.size() && includes[i].uri == uri) {
      return {includes[i].status, includes[i].body};
    }
    if (i >= kMaxIncludes) {
      throw templates::TemplateError("too many httpInclude calls (at most " + std::to_string(kMaxIncludes) +
                                     ")");
    }
    includes.resize(i);  // a run that went another way: later answers are stale
    throw NeedInclude{uri, level};
  };
  try {
    if (!task.readFromFile.empty()) {
      std::ifstream in(task.readFromFile, std::ios::binary);
      if (!in) {
        throw templates::TemplateError("open " + task.readFromFile + ": no such file or directory");
      }
      std::ostringstream text;
      text << in.rdbuf();
      task.body = text.str();
      task.readFromFile.clear();
    }
    // (on a thread with room for Go's nesting depths: see templates/deep_stack.h)
    templates::runOnDeepStack(
        [&] { out = templates::executeCaddyTemplate(env, task.name, task.body, {}, task.extra); });
  } catch (const NeedInclude& n) {
    need = n;
  } catch (const templates::HttpStatusError& e) {
    errorStatus = e.status;
    error = e.what();
  } catch (const std::exception& e) {
    errorStatus = 500;
    error = e.what();
    logError = true;
  }
}

TemplateWork::TemplateWork(runtime::Exchange& ex, TemplateTask task, const void* owner,
                           std::unique_ptr<runtime::PendingWork> previous)
    : ex_(ex), owner_(owner), previous_(std::move(previous)), idle_(std::make_unique<Job>()) {
  idle_->task = std::move(task);
  copyExchange(ex, idle_->snapshot);
  idle_->startHeaders = ex.response.headers;
}

TemplateWork::~TemplateWork() {
  if (job_ != nullptr) {
    // Running or queued: libuv still calls onDone, which frees the job on the loop.
    job_->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&job_->req));
  }
}

void TemplateWork::start() {
  queue();
}

void TemplateWork::queue() {
  std::unique_ptr<Job> job = std::move(idle_);
  job->owner = this;
  job->req.data = job.get();
  const int rc = uv_queue_work(
      ex_.host->loop(), &job->req, [](uv_work_t* req) { static_cast<Job*>(req->data)->run(); },
      &TemplateWork::onDone);
  if (rc != 0) {
    jobDone(std::move(job), rc);
    return;
  }
  job_ = job.release();
}

void TemplateWork::onDone(uv_work_t* req, int status) {
  std::unique_ptr<Job> job(static_cast<Job*>(req->data));
  TemplateWork* owner = job->owner;
  if (owner == nullptr) {
    return;  // the exchange is gone; the job (and its copy of it) dies here, on the loop
  }
  owner->job_ = nullptr;
  owner->jobDone(std::move(job), status);
}

void TemplateWork::jobDone(std::unique_ptr<Job> job, int status) {
  if (status != 0) {
    job->errorStatus = 500;
    job->error = std::string("executing the template on the thread pool failed: ") + uv_strerror(status);
    job->logError = true;
    job->need.reset();
  }
  idle_ = std::move(job);
  if (idle_->need) {
    serveInclude(idle_->need->uri);
    return;
  }
  finished_ = true;
  ex_.host->resume();
}

// The virtual request on the loop; its answer goes with the next run.
void TemplateWork::serveInclude(const std::string& uri) {
  const int level = idle_->need->level;
  auto done = [this, uri](int status, std::string body, std::string error) {
    if (!error.empty()) {
      idle_->need.reset();
      idle_->errorStatus = 500;
      idle_->error = "httpInclude " + uri + ": " + error;
      idle_->logError = true;
      finished_ = true;
      ex_.host->resume();
      return;
    }
    idle_->includes.push_back({uri, status, std::move(body)});
    queue();
  };
  // The previous virtual request (if any) is dropped here, outside its own callbacks.
  include_ = std::make_unique<VirtualRequest>(*ex_.host, ex_.request, uri, level, std::move(done));
  include_->start();
}

bool TemplateWork::apply(runtime::Exchange& ex) {
  Job& job = *idle_;
  if (job.errorStatus != 0) {
    if (job.task.browse) {
      ex.fail(500, job.error, runtime::traces::kBrowseTemplate);  // browse: any template error is a 500
      return false;
    }
    if (job.logError) {
      server::logLine({{"logger", "http.handlers.templates"},
                       {"msg", job.error},
                       {"uri", ex.request.uri()},
                       {"status", 500}},
                      "error");
    }
    // {{httpError N}} is Caddy's caddyhttp.Error(N, nil): no error text of its own, so
    // {err.message} reads the status text ("Not Found"), not "HTTP 404".
    ex.fail(job.errorStatus, job.logError ? job.error : std::string(),
            job.logError ? runtime::traces::kTemplateFailed : runtime::traces::kTemplateHttpError);
    return false;
  }
  ex.response.headers = std::move(job.snapshot.response.headers);
  ex.response.body = std::move(job.out);
  return true;
}

runtime::Outcome TemplateWork::resumed(runtime::Exchange& ex) {
  if (finished_ && idle_->task.browse && apply(ex)) {
    ex.response.status = 200;
  }
  return runtime::Outcome::Handled;
}

}  // namespace gatehouse::handlers
