// gatehouse manpage --directory DIR: section 8 manual pages, as `caddy manpage` writes
// them: gatehouse.8 naming every command and gatehouse-<command>.8 with its usage text.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command.h"

namespace gatehouse::cli {

namespace {

// Text safe for troff: backslashes escaped, a line starting with '.' or '\'' not read as a
// request.
std::string roff(std::string_view text) {
  std::string out;
  bool lineStart = true;
  for (char c : text) {
    if (lineStart && (c == '.' || c == '\'')) {
      out += "\\&";
    }
    out += c == '\\' ? std::string("\\e") : std::string(1, c);
    lineStart = c == '\n';
  }
  return out;
}

std::string header() {
  return ".nh\n.TH \"Gatehouse\" \"8\" \"\" \"gatehouse manpage\" \"\"\n\n";
}

std::string commandPage(const Command& c) {
  std::ostringstream page;
  page << header() << ".SH NAME\n.PP\ngatehouse-" << c.name << " - " << roff(c.summary) << "\n\n"
       << ".SH SYNOPSIS\n.PP\n\\fBgatehouse " << c.name << " [flags]\\fP\n\n"
       << ".SH DESCRIPTION\n.PP\n.RS\n\n.nf\n"
       << roff(c.usage) << "\n.fi\n.RE\n\n"
       << ".SH SEE ALSO\n.PP\n\\fBgatehouse(8)\\fP\n";
  return page.str();
}

std::string indexPage() {
  std::ostringstream page;
  page << header() << ".SH NAME\n.PP\ngatehouse - a Caddyfile web server with automatic HTTPS\n\n"
       << ".SH SYNOPSIS\n.PP\n\\fBgatehouse <command> [flags]\\fP\n\n"
       << ".SH DESCRIPTION\n.PP\nGatehouse serves Caddy 2.6.2 configurations (Caddyfile or JSON). "
          "Each command has its own page.\n\n"
       << ".SH SEE ALSO\n.PP\n";
  std::string sep;
  for (const auto& c : commands()) {
    page << sep << "\\fBgatehouse-" << c.name << "(8)\\fP";
    sep = ", ";
  }
  page << "\n";
  return page.str();
}

bool writeFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "Error: writing " << path.string() << "\n";
    return false;
  }
  return true;
}

}  // namespace

int runManpage(const std::vector<std::string>& args) {
  Flags flags;
  if (!parseFlags(args, {"directory"}, {}, flags, "manpage")) {
    return 1;
  }
  const std::string dir = flags.get("directory");
  if (dir.empty()) {
    std::cerr << "Error: designated output directory and specified section are required\n";
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::cerr << "Error: creating " << dir << ": " << ec.message() << "\n";
    return 1;
  }
  if (!writeFile(std::filesystem::path(dir) / "gatehouse.8", indexPage())) {
    return 1;
  }
  for (const auto& c : commands()) {
    if (!writeFile(std::filesystem::path(dir) / ("gatehouse-" + std::string(c.name) + ".8"),
                   commandPage(c))) {
      return 1;
    }
  }
  return 0;
}

}  // namespace gatehouse::cli
