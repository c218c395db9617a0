#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "cli/command.h"

namespace gatehouse::cli {

namespace {

// The spellings Go's strconv.ParseBool takes.
bool validBool(const std::string& v) {
  for (const char* ok : {"1", "t", "T", "true", "TRUE", "True", "0", "f", "F", "false", "FALSE", "False"}) {
    if (v == ok) {
      return true;
    }
  }
  return false;
}

}  // namespace

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

// Flags as caddy's (cobra/pflag) parse them, so a mistyped command line fails as caddy's does
// (exit 1, "Error: ..." on stderr): "--name value" or "--name=value", a switch alone or as
// "--switch=BOOL"; a single dash starts shorthands, of which only -h exists; "--" ends the flags.
bool parseFlags(const std::vector<std::string>& args, const std::vector<std::string>& valueFlags,
                const std::vector<std::string>& switches, Flags& out, std::string_view /*command*/) {
  auto known = [](const std::vector<std::string>& list, const std::string& name) {
    return std::find(list.begin(), list.end(), name) != list.end();
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      out.positional.insert(out.positional.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                            args.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      out.positional.push_back(a);
      continue;
    }
    if (a[1] != '-') {
      if (a[1] != 'h') {
        std::cerr << "Error: unknown shorthand flag: '" << a[1] << "' in " << a << "\n";
        return false;
      }
      continue;  // -h: the dispatcher prints the help
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name == "help") {
      continue;
    }
    if (known(switches, name)) {
      if (value && !validBool(*value)) {
        std::cerr << "Error: invalid argument \"" << *value << "\" for \"--" << name
                  << "\" flag: parse error\n";
        return false;
      }
      out.values.emplace_back(name, value.value_or("true"));
    } else if (known(valueFlags, name)) {
      if (!value) {
        if (i + 1 >= args.size()) {
          std::cerr << "Error: flag needs an argument: --" << name << "\n";
          return false;
        }
        value = args[++i];  // taken whatever it is, even "--other", as pflag does
      }
      out.values.emplace_back(name, *value);
    } else {
      std::cerr << "Error: unknown flag: --" << name << "\n";
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
    std::string reason = std::strerror(errno);  // as Go words it: "open FILE: no such file or directory"
    if (!reason.empty()) {
      reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    }
    throw std::runtime_error("open " + path + ": " + reason);
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
