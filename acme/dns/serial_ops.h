#pragma once
// Runs a provider's operations one after another. Providers that read a record set, change
// it and write it back (route53, desec) would otherwise lose a value when two orders of one
// process validate the same name at once (a site for example.com beside one for
// *.example.com): both read the old set, and the second write drops the first's value.
// Loop-thread only; an operation's completion starts the next.

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace gatehouse::acme::dns {

class SerialOps {
 public:
  using Done = std::function<void(std::optional<std::string>)>;
  using Op = std::function<void(Done)>;

  void run(Op op, Done done) {
    queue_.emplace_back(std::move(op), std::move(done));
    if (!busy_)
      next();
  }
  [[nodiscard]] size_t waiting() const { return queue_.size(); }

 private:
  void next() {
    if (queue_.empty()) {
      busy_ = false;
      return;
    }
    busy_ = true;
    auto [op, done] = std::move(queue_.front());
    queue_.pop_front();
    op([this, done = std::move(done)](std::optional<std::string> err) {
      done(std::move(err));
      next();
    });
  }

  std::deque<std::pair<Op, Done>> queue_;
  bool busy_ = false;
};

}  // namespace gatehouse::acme::dns
