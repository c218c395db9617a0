#include "handlers/browse_work.h"

#include "gatehouse/runtime/error_traces.h"

namespace gatehouse::handlers {

struct ListingWork::Job {
  uv_work_t req{};
  ListingWork* owner = nullptr;
  std::string dir;
  std::function<bool(const std::string&)> hidden;
  BrowseView view;
  std::string templateFile;
  std::string root;
  BrowseAnswer answer;  // what the pool made of the directory
};

ListingWork::ListingWork(runtime::Exchange& ex, ListingRequest request,
                         std::unique_ptr<runtime::PendingWork> previous)
    : ex_(ex), request_(std::move(request)), previous_(std::move(previous)) {}

ListingWork::~ListingWork() {
  if (job_ != nullptr) {
    // Running or queued: libuv still calls onDone, which frees the job on the loop.
    job_->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&job_->req));
  }
}

void ListingWork::start() {
  auto job = std::make_unique<Job>();
  job->owner = this;
  job->dir = request_.dir;
  job->hidden = request_.hidden;
  job->view = browseView(ex_.request);
  job->templateFile = request_.templateFile;
  job->root = request_.root;
  job->req.data = job.get();
  const int rc = uv_queue_work(
      ex_.host->loop(), &job->req,
      [](uv_work_t* req) {
        auto* j = static_cast<Job*>(req->data);
        j->answer = renderBrowse(readListing(j->dir, j->hidden), j->view, j->templateFile, j->root);
      },
      &ListingWork::onDone);
  if (rc != 0) {
    jobDone(*job, rc);
    return;
  }
  job_ = job.release();
}

void ListingWork::onDone(uv_work_t* req, int status) {
  std::unique_ptr<Job> job(static_cast<Job*>(req->data));
  ListingWork* owner = job->owner;
  if (owner == nullptr) {
    return;  // the exchange is gone; the listing dies here, on the loop
  }
  owner->job_ = nullptr;
  owner->jobDone(*job, status);
}

void ListingWork::jobDone(Job& job, int status) {
  if (status != 0) {
    ex_.fail(500, std::string("reading the directory on the thread pool failed: ") + uv_strerror(status),
             runtime::traces::kBrowseReadFailed);
    ex_.host->resume();
    return;
  }
  auto& hdr = ex_.response.headers;
  for (const auto& cookie : job.view.cookies) {
    hdr.add("Set-Cookie", cookie);
  }
  hdr.set("Content-Type", job.answer.contentType);
  if (!job.answer.task) {
    ex_.respond(200, std::move(job.answer.body));
    ex_.host->resume();
    return;
  }
  // The template's TemplateWork resumes the exchange when it is over.
  template_ = std::make_unique<TemplateWork>(ex_, std::move(*job.answer.task), nullptr, nullptr);
  template_->start();
}

runtime::Outcome ListingWork::resumed(runtime::Exchange& ex) {
  return template_ ? template_->resumed(ex) : runtime::Outcome::Handled;
}

}  // namespace gatehouse::handlers
