#include "manager/job_queue.h"

#include <utility>

namespace gatehouse::acme {

struct JobQueue::State : std::enable_shared_from_this<State> {
  size_t maxRunning = 1;
  Post post;
  std::deque<std::pair<std::string, Job>> waiting;
  std::set<std::string> names;  // queued or running
  size_t running = 0;
  bool closed = false;

  // Starts queued jobs while there is room. Each starts on a later loop turn (post): a slot
  // freed from deep inside a finished job's callbacks must not run the next job there.
  void fill() {
    while (!closed && running < maxRunning && !waiting.empty()) {
      auto [name, job] = std::move(waiting.front());
      waiting.pop_front();
      ++running;
      auto slot = std::make_shared<Ticket>(weak_from_this(), name);
      post([job = std::move(job), slot = std::move(slot)]() mutable { job(std::move(slot)); });
    }
  }

  void freed(const std::string& name) {
    names.erase(name);
    --running;
    fill();
  }
};

JobQueue::JobQueue(size_t maxRunning, Post post) : state_(std::make_shared<State>()) {
  state_->maxRunning = maxRunning == 0 ? 1 : maxRunning;
  state_->post = std::move(post);
}

JobQueue::~JobQueue() {
  close();
}

bool JobQueue::submit(const std::string& name, Job job) {
  if (state_->closed || !state_->names.insert(name).second) {
    return false;
  }
  state_->waiting.emplace_back(name, std::move(job));
  state_->fill();
  return true;
}

void JobQueue::close() {
  if (state_->closed) {
    return;
  }
  state_->closed = true;
  // Moved out first: a dropped job's captures may end a running job's slot, which comes
  // back here through freed().
  auto dropped = std::move(state_->waiting);
  state_->waiting.clear();
  for (const auto& [name, job] : dropped) {
    state_->names.erase(name);
  }
  dropped.clear();
}

size_t JobQueue::running() const {
  return state_->running;
}

size_t JobQueue::queued() const {
  return state_->waiting.size();
}

JobQueue::Ticket::Ticket(std::weak_ptr<State> state, std::string name)
    : state_(std::move(state)), name_(std::move(name)) {}

JobQueue::Ticket::~Ticket() {
  release();
}

void JobQueue::Ticket::release() {
  if (released_) {
    return;
  }
  released_ = true;
  if (auto s = state_.lock()) {
    s->freed(name_);
  }
}

}  // namespace gatehouse::acme
