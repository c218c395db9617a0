#include "gatehouse/parser/dispenser.h"

#include "gatehouse/parser/lexer.h"

namespace gatehouse::parser {
namespace {
const Token kNoToken{};
}

Dispenser::Dispenser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

bool Dispenser::next() {
  if (cursor_ < static_cast<int>(tokens_.size()) - 1) {
    ++cursor_;
    return true;
  }
  return false;
}

bool Dispenser::prev() {
  if (cursor_ > -1) {
    --cursor_;
    return cursor_ > -1;
  }
  return false;
}

bool Dispenser::nextOnSameLine() {
  if (cursor_ < 0) {
    ++cursor_;
    return !tokens_.empty();
  }
  if (cursor_ >= static_cast<int>(tokens_.size()) - 1) {
    return false;
  }
  if (isNextOnSameLine(tokens_[cursor_], tokens_[cursor_ + 1])) {
    ++cursor_;
    return true;
  }
  return false;
}

bool Dispenser::nextArg() {
  if (!nextOnSameLine()) {
    return false;
  }
  if (isOpenBrace()) {
    --cursor_;  // a block opening is not an argument
    return false;
  }
  return true;
}

// A quoted "{" or "}" is an ordinary argument, never a block delimiter.
bool Dispenser::isOpenBrace() const {
  return val() == "{" && !token().quoted();
}
bool Dispenser::isCloseBrace() const {
  return val() == "}" && !token().quoted();
}

bool Dispenser::nextLine() {
  if (cursor_ < 0) {
    ++cursor_;
    return !tokens_.empty();
  }
  if (cursor_ >= static_cast<int>(tokens_.size()) - 1) {
    return false;
  }
  if (isNextOnNewLine(tokens_[cursor_], tokens_[cursor_ + 1])) {
    ++cursor_;
    return true;
  }
  return false;
}

bool Dispenser::nextBlock(int initialNesting) {
  if (nesting_ > initialNesting) {
    if (!next()) {
      return false;
    }
    // As in Caddy, a brace followed by more tokens on its line is not a block delimiter
    // (and the look-ahead consumes that next token).
    if (isCloseBrace() && !nextOnSameLine()) {
      --nesting_;
    } else if (isOpenBrace() && !nextOnSameLine()) {
      ++nesting_;
    }
    return nesting_ > initialNesting;
  }
  if (!nextOnSameLine()) {  // a block must open on the same line
    return false;
  }
  if (!isOpenBrace()) {
    --cursor_;
    return false;
  }
  next();  // consume the opening brace
  if (isCloseBrace()) {
    return false;  // opened and closed at once
  }
  ++nesting_;
  return true;
}

const std::string& Dispenser::val() const {
  return token().text;
}

const Token& Dispenser::token() const {
  if (cursor_ < 0 || cursor_ >= static_cast<int>(tokens_.size())) {
    return kNoToken;
  }
  return tokens_[cursor_];
}

bool Dispenser::atEnd() const {
  return cursor_ >= static_cast<int>(tokens_.size()) - 1;
}

std::vector<std::string> Dispenser::remainingArgs() {
  std::vector<std::string> args;
  while (nextArg()) {
    args.push_back(val());
  }
  return args;
}

std::vector<Token> Dispenser::remainingArgsRaw() {
  std::vector<Token> args;
  while (nextArg()) {
    args.push_back(token());
  }
  return args;
}

int Dispenser::countRemainingArgs() const {
  Dispenser copy = *this;
  int count = 0;
  while (copy.nextArg()) {
    ++count;
  }
  return count;
}

std::string Dispenser::peekVal() const {
  if (cursor_ + 1 < static_cast<int>(tokens_.size())) {
    return tokens_[cursor_ + 1].text;
  }
  return {};
}

std::vector<Token> Dispenser::nextSegment() {
  std::vector<Token> out{token()};
  while (nextArg()) {
    out.push_back(token());
  }
  bool opened = false;
  for (int nesting = nesting_; nextBlock(nesting);) {
    if (!opened) {
      // nextBlock consumed the opening brace; the segment keeps it.
      prev();
      out.push_back(token());
      next();
      opened = true;
    }
    out.push_back(token());
  }
  if (opened) {
    out.push_back(token());  // the closing brace, left for the caller's next() to pass
  }
  return out;
}

Dispenser Dispenser::newFromNextSegment() {
  return Dispenser(nextSegment());
}

void Dispenser::deleteToken() {
  if (cursor_ >= 0 && cursor_ < static_cast<int>(tokens_.size())) {
    tokens_.erase(tokens_.begin() + cursor_);
    --cursor_;
  }
}

void Dispenser::reset() {
  cursor_ = -1;
  nesting_ = 0;
}

Location Dispenser::location() const {
  if (cursor_ >= 0 && cursor_ < static_cast<int>(tokens_.size())) {
    return tokens_[cursor_].loc;
  }
  if (!tokens_.empty()) {
    return cursor_ < 0 ? tokens_.front().loc : tokens_.back().loc;
  }
  return {};
}

ConfigError Dispenser::err(const std::string& message) const {
  return ConfigError(location(), message);
}

ConfigError Dispenser::argErr() const {
  if (val() == "{") {
    return err("unexpected token '{', expecting argument");
  }
  return err("wrong argument count or unexpected line ending after '" + val() + "'");
}

ConfigError Dispenser::syntaxErr(const std::string& expected) const {
  return err("syntax error: unexpected token '" + val() + "', expecting '" + expected + "'");
}

ConfigError Dispenser::unknownErr(const std::string& what) const {
  return err("unrecognized " + what + " '" + val() + "'");
}

void Dispenser::noMoreArgs() {
  if (nextArg()) {
    throw argErr();
  }
}

}  // namespace gatehouse::parser
