#include "util/process_runner.h"

#include <csignal>
#include <memory>

extern char** environ;

namespace gatehouse::acme {

namespace {
struct ProcessRun {
  uv_process_t process;
  uv_timer_t timer;
  std::string name;
  std::function<void(std::optional<std::string>)> done;
  std::optional<std::string> result;
  int pendingCloses = 2;
  bool timedOut = false;
};

void onClosed(uv_handle_t* h) {
  auto* run = static_cast<ProcessRun*>(h->data);
  if (--run->pendingCloses > 0)
    return;
  std::unique_ptr<ProcessRun> owned(run);
  owned->done(owned->result);
}

void onExit(uv_process_t* p, int64_t status, int signal) {
  auto* run = static_cast<ProcessRun*>(p->data);
  if (run->timedOut) {
    run->result = run->name + " timed out and was killed";
  } else if (signal != 0) {
    run->result = run->name + " killed by signal " + std::to_string(signal);
  } else if (status != 0) {
    run->result = run->name + " exited with status " + std::to_string(status);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&run->timer), &onClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(p), &onClosed);
}

void onTimeout(uv_timer_t* t) {
  auto* run = static_cast<ProcessRun*>(t->data);
  run->timedOut = true;
  uv_process_kill(&run->process, SIGKILL);
}
}  // namespace

void runProcess(uv_loop_t* loop, std::vector<std::string> argv, const std::vector<std::string>& extraEnv,
                std::chrono::seconds limit, std::function<void(std::optional<std::string>)> done) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    env.emplace_back(*e);
  env.insert(env.end(), extraEnv.begin(), extraEnv.end());
  std::vector<char*> envp;
  for (auto& e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);

  auto run = std::make_unique<ProcessRun>();
  run->name = argv.empty() ? "command" : argv.front();
  run->done = std::move(done);
  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = 2;  // keep our stdout clean: the program's output joins the log stream
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  uv_process_options_t opts{};
  opts.file = args.front();
  opts.args = args.data();
  opts.env = envp.data();
  opts.exit_cb = &onExit;
  opts.stdio = stdio;
  opts.stdio_count = 3;
  run->process.data = run.get();
  run->timer.data = run.get();
  uv_timer_init(loop, &run->timer);
  const int rc = argv.empty() ? UV_EINVAL : uv_spawn(loop, &run->process, &opts);
  if (rc != 0) {
    // libuv wants a failed process handle closed too; `done` runs from the close callbacks.
    run->result = "starting " + run->name + ": " + uv_strerror(rc);
    if (argv.empty()) {
      run->pendingCloses = 1;
    } else {
      uv_close(reinterpret_cast<uv_handle_t*>(&run->process), &onClosed);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&run->timer), &onClosed);
    run.release();
    return;
  }
  uv_timer_start(&run->timer, &onTimeout, static_cast<uint64_t>(limit.count()) * 1000, 0);
  run.release();  // freed once both handles have closed
}

}  // namespace gatehouse::acme
