#include "admin/admin_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "metrics/http_metrics.h"

namespace gatehouse::admin {

namespace {

void family(std::string& out, const char* name, const char* help, const char* type) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void gauge(std::string& out, const char* name, const char* help, const char* type, double v) {
  family(out, name, help, type);
  out += std::string(name) + " " + metrics::formatFloat(v) + "\n";
}

int openFds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (const dirent* e = readdir(d)) {
      n += e->d_name[0] != '.' ? 1 : 0;
    }
    closedir(d);
    --n;  // the directory handle itself
  }
  return n;
}

// Fields of /proc/self/stat after the command name (field 3 is index 0).
std::vector<std::string> statFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::vector<std::string> f;
  for (std::string s; rest >> s;) {
    f.push_back(s);
  }
  return f;
}

double bootTime() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double v = 0;
      in >> v;
      return v;
    }
  }
  return 0;
}

}  // namespace

void AdminMetrics::count(int status, const std::string& handler, const std::string& method,
                         const std::string& path, bool apiError) {
  std::lock_guard lock(mu_);
  ++requests_[{std::to_string(status), handler, method, path}];
  if (apiError) {
    ++errors_[{handler, method, path}];
  }
}

std::string AdminMetrics::exposition() const {
  std::lock_guard lock(mu_);
  std::string out;
  if (!errors_.empty()) {
    family(out, "caddy_admin_http_request_errors_total", "Number of requests resulting in middleware errors.",
           "counter");
    for (const auto& [k, v] : errors_) {
      const auto& [handler, method, path] = k;
      out += "caddy_admin_http_request_errors_total{handler=\"" + handler + "\",method=\"" + method +
             "\",path=\"" + path + "\"} " + std::to_string(v) + "\n";
    }
  }
  if (!requests_.empty()) {
    family(out, "caddy_admin_http_requests_total",
           "Counter of requests made to the Admin API's HTTP endpoints.", "counter");
    for (const auto& [k, v] : requests_) {
      const auto& [code, handler, method, path] = k;
      out += "caddy_admin_http_requests_total{code=\"" + code + "\",handler=\"" + handler + "\",method=\"" +
             method + "\",path=\"" + path + "\"} " + std::to_string(v) + "\n";
    }
  }
  return out;
}

std::string processMetrics() {
  const std::vector<std::string> f = statFields();
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  auto field = [&](size_t stat) { return stat - 3 < f.size() ? std::stod(f[stat - 3]) : 0.0; };
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  rlimit as{};
  getrlimit(RLIMIT_AS, &as);
  std::string out;
  gauge(out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter",
        (field(14) + field(15)) / ticks);
  gauge(out, "process_max_fds", "Maximum number of open file descriptors.", "gauge",
        static_cast<double>(files.rlim_cur));
  gauge(out, "process_open_fds", "Number of open file descriptors.", "gauge", openFds());
  gauge(out, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", field(24) * page);
  gauge(out, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge",
        bootTime() + field(22) / ticks);
  gauge(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", field(23));
  gauge(out, "process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.",
        "gauge", as.rlim_cur == RLIM_INFINITY ? 1.8446744073709552e19 : static_cast<double>(as.rlim_cur));
  return out;
}

}  // namespace gatehouse::admin
