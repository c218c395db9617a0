#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "cli/command.h"

namespace gatehouse::cli {

bool Flags::has(std::string_view name) const {
  for (const auto& [k, v] : values) {
    if (k == name)
      return true;
  }
  return false;
}

std::string Flags::get(std::string_view name, std::string fallback) const {
  for (const auto& [k, v] : values) {
    if (k == name)
      return v;
  }
  return fallback;
}

bool parseFlags(const std::vector<std::string>& args, const std::vector<std::string>& valueFlags,
                const std::vector<std::string>& switches, Flags& out, std::string_view command) {
  auto known = [](const std::vector<std::string>& list, const std::string& name) {
    for (const auto& n : list) {
      if (n == name)
        return true;
    }
    return false;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 2 || a[0] != '-' || a == "-") {
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(a[1] == '-' ? 2 : 1);
    std::string value;
    bool inlineValue = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inlineValue = true;
    }
    if (known(switches, name)) {
      out.values.emplace_back(name, inlineValue ? value : "true");
    } else if (known(valueFlags, name)) {
      if (!inlineValue) {
        if (i + 1 >= args.size()) {
          std::cerr << "gatehouse " << command << ": flag --" << name << " needs a value\n";
          return false;
        }
        value = args[++i];
      }
      out.values.emplace_back(name, value);
    } else {
      std::cerr << "gatehouse " << command << ": unknown flag " << a << " (see 'gatehouse " << command
                << " --help')\n";
      return false;
    }
  }
  return true;
}

std::string readFileOrStdin(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("reading " + path + ": " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool wantsHelp(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h" || a == "-help")
      return true;
  }
  return false;
}

}  // namespace gatehouse::cli
