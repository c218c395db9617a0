#include "gatehouse/parser/token.h"

#include <algorithm>

#include "gatehouse/parser/config_error.h"

namespace gatehouse::parser {

namespace {
const Source& noSource() {
  static const Source kNone;
  return kNone;
}
}  // namespace

Location::Location(std::string file, int atLine, int atCol, std::vector<std::string> chain)
    : source(std::make_shared<const Source>(Source{std::move(file), std::move(chain), {}})),
      line(atLine),
      col(atCol) {}

const std::string& Location::file() const {
  return (source ? *source : noSource()).file;
}

const std::vector<std::string>& Location::importedFrom() const {
  return (source ? *source : noSource()).importedFrom;
}

const std::string& Location::snippetName() const {
  return (source ? *source : noSource()).snippetName;
}

bool Location::sameSource(const Location& other) const {
  return source == other.source || (file() == other.file() && importedFrom() == other.importedFrom());
}

std::string Location::str() const {
  std::string out = file() + ":" + std::to_string(line);
  if (col > 0) {
    out += ":" + std::to_string(col);
  }
  return out;
}

namespace {
std::string describe(const Location& loc, const std::string& message) {
  if (loc.file().empty()) {
    return message;
  }
  std::string out = loc.str() + ": " + message;
  if (const auto& chain = loc.importedFrom(); !chain.empty()) {
    out += " (imported from ";
    for (size_t i = 0; i < chain.size(); ++i) {
      out += (i ? ", " : "") + chain[i];
    }
    out += ")";
  }
  return out;
}
}  // namespace

int Token::numLineBreaks() const {
  int breaks = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  // A heredoc's text leaves out two line breaks: the one after its opening marker and the
  // one before its closing marker.
  return quote == '<' ? breaks + 2 : breaks;
}

ConfigError::ConfigError(Location loc, std::string message)
    : std::runtime_error(describe(loc, message)), loc_(std::move(loc)), message_(std::move(message)) {}

ConfigError::ConfigError(std::string message) : std::runtime_error(message), message_(std::move(message)) {}

}  // namespace gatehouse::parser
