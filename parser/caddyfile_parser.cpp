// Caddyfile structure parser: tokens -> server blocks of segments, following Caddy's parse.go.
// `import` (of snippets and files, with arguments and blocks) is resolved by splicing tokens
// into the stream while parsing, so everything after it sees the imported tokens in place.

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gatehouse/parser/caddyfile.h"
#include "gatehouse/parser/config_error.h"
#include "gatehouse/parser/dispenser.h"
#include "gatehouse/parser/lexer.h"
#include "import_args.h"
#include "import_graph.h"

namespace gatehouse::parser {
namespace {

namespace fs = std::filesystem;

bool startsWith(const std::string& s, std::string_view p) {
  return s.compare(0, p.size(), p) == 0;
}
bool endsWith(const std::string& s, std::string_view p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

// Go's filepath.Clean of an absolute or relative path (lexical only).
std::string cleanPath(const std::string& path) {
  std::string out = fs::path(path).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') {
    out.pop_back();
  }
  return out.empty() ? "." : out;
}

std::string absolutePath(const std::string& path) {
  if (!path.empty() && path[0] == '/') {
    return cleanPath(path);
  }
  return cleanPath((fs::current_path() / path).string());
}

std::string dirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool hasGlobMeta(const std::string& s) {
  return s.find_first_of("*?[\\") != std::string::npos;
}

// filepath.Glob: sorted matches; a pattern without wildcards matches itself when it exists.
// Returns false on a malformed pattern.
bool globFiles(const std::string& pattern, std::vector<std::string>& matches) {
  if (!hasGlobMeta(pattern)) {
    struct stat st {};
    if (lstat(pattern.c_str(), &st) == 0)
      matches.push_back(pattern);
    return true;
  }
  glob_t g{};
  // GLOB_PERIOD: like Go, wildcards may match a leading dot (Caddy filters dotfiles itself).
  const int rc = glob(pattern.c_str(), GLOB_PERIOD, nullptr, &g);
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      std::string m = g.gl_pathv[i];
      const std::string base = m.substr(m.rfind('/') + 1);
      if (base != "." && base != "..")
        matches.push_back(m);
    }
  }
  globfree(&g);
  std::sort(matches.begin(), matches.end());
  return rc == 0 || rc == GLOB_NOMATCH || rc == GLOB_ABORTED;
}

// Only unquoted braces are structure; "{" and "}" in quotes are plain arguments (Caddy #7875).
bool isOpenBrace(const Token& t) {
  return t.text == "{" && !t.quoted();
}
bool isCloseBrace(const Token& t) {
  return t.text == "}" && !t.quoted();
}

const Token& noToken() {
  static const Token kNone;
  return kNone;
}

// Gives tokens a changed copy of their source (snippet name set, import appended to the
// chain), one copy per distinct source, so the tokens of one import still share theirs.
class SourceRemap {
 public:
  explicit SourceRemap(std::function<void(Source&)> change) : change_(std::move(change)) {}

  void apply(Location& loc) {
    for (const auto& [from, to] : done_) {
      if (from == loc.source) {
        loc.source = to;
        return;
      }
    }
    Source changed = loc.source ? *loc.source : Source{};
    change_(changed);
    auto to = std::make_shared<const Source>(std::move(changed));
    done_.emplace_back(loc.source, to);
    loc.source = std::move(to);
  }

 private:
  std::function<void(Source&)> change_;
  std::vector<std::pair<std::shared_ptr<const Source>, std::shared_ptr<const Source>>> done_;
};

class Parser {
 public:
  Parser(std::vector<Token> tokens, const ParseOptions& options)
      : tokens_(std::move(tokens)), options_(options) {}

  std::vector<ServerBlock> parseAll() {
    std::vector<ServerBlock> blocks;
    while (next()) {
      block_ = ServerBlock{};
      begin();
      if (!block_.keys.empty() || !block_.segments.empty()) {
        blocks.push_back(block_);
      }
      if (nesting_ > 0) {
        fail("unexpected EOF");
      }
    }
    return blocks;
  }

 private:
  // ---- cursor (Caddy's Dispenser over a token list the parser may splice) ----

  bool next() {
    if (cursor_ < static_cast<int>(tokens_.size()) - 1) {
      ++cursor_;
      return true;
    }
    return false;
  }
  [[nodiscard]] const Token& tok() const {
    if (cursor_ < 0 || cursor_ >= static_cast<int>(tokens_.size()))
      return noToken();
    return tokens_[cursor_];
  }
  [[nodiscard]] const std::string& val() const { return tok().text; }
  [[nodiscard]] bool isNewLine() const {
    if (cursor_ < 1 || cursor_ - 1 < firstValid_)
      return true;
    if (cursor_ > static_cast<int>(tokens_.size()) - 1)
      return false;
    return isNextOnNewLine(tokens_[cursor_ - 1], tokens_[cursor_]);
  }
  // Newer Caddy's rule (tokens of different import chains are never on one line), kept for
  // site addresses: 2.6.2 reads a top-level import of a snippet whose first line is an import
  // as site addresses "import ..." (corpus fixture import_cycle wants the cycle refused).
  [[nodiscard]] bool isNewLineAcrossImports() const {
    return isNewLine() ||
           (cursor_ >= 1 && cursor_ - 1 >= firstValid_ && cursor_ < static_cast<int>(tokens_.size()) &&
            !tokens_[cursor_ - 1].loc.sameSource(tokens_[cursor_].loc));
  }
  [[nodiscard]] bool nextIsOnNewLine() const {
    if (cursor_ < 0)
      return false;
    if (cursor_ >= static_cast<int>(tokens_.size()) - 1)
      return true;
    return isNextOnNewLine(tokens_[cursor_], tokens_[cursor_ + 1]);
  }
  bool nextOnSameLine() {
    if (cursor_ < 0) {
      ++cursor_;
      return true;
    }
    if (cursor_ >= static_cast<int>(tokens_.size()) - 1)
      return false;
    if (isNextOnSameLine(tokens_[cursor_], tokens_[cursor_ + 1])) {
      ++cursor_;
      return true;
    }
    return false;
  }
  bool nextArg() {
    if (!nextOnSameLine())
      return false;
    if (isOpenBrace(tok())) {
      --cursor_;  // a block opening is not an argument
      return false;
    }
    return true;
  }
  bool nextBlock(int initialNesting) {
    if (blockNesting_ > initialNesting) {
      if (!next())
        return false;
      if (isCloseBrace(tok()) && !nextOnSameLine()) {
        --blockNesting_;
      } else if (isOpenBrace(tok()) && !nextOnSameLine()) {
        ++blockNesting_;
      }
      return blockNesting_ > initialNesting;
    }
    if (!nextOnSameLine())
      return false;
    if (!isOpenBrace(tok())) {
      --cursor_;
      return false;
    }
    next();
    if (isCloseBrace(tok()))
      return false;  // an empty block
    ++blockNesting_;
    return true;
  }

  [[noreturn]] void fail(const std::string& message) const { throw ConfigError(tok().loc, message); }
  [[noreturn]] void syntaxErr(const std::string& expected) const {
    fail("syntax error: unexpected token '" + val() + "', expecting '" + expected + "'");
  }
  [[noreturn]] void argErr() const {
    if (isOpenBrace(tok()))
      fail("unexpected token '{', expecting argument");
    fail("wrong argument count or unexpected line ending after '" + val() + "'");
  }

  // ---- structure ----

  void begin() {
    if (tokens_.empty())
      return;
    addresses();
    if (eof_)
      return;  // a file of only site addresses
    if (block_.keys.size() == 1) {
      const std::string& key = block_.keys[0].text;
      if (startsWith(key, "&(") && endsWith(key, ")")) {
        namedRoute(key.substr(2, key.size() - 3));
        return;
      }
      if (startsWith(key, "(") && endsWith(key, ")")) {
        snippet(key.substr(1, key.size() - 2));
        return;
      }
    }
    blockContents();
  }

  void namedRoute(const std::string& name) {
    Token nameToken = tok();
    nameToken.text = name;
    block_.keys = {nameToken};
    block_.isNamedRoute = true;
    std::vector<Token> body = blockTokens(true);
    body.insert(body.begin(), nameToken);
    block_.segments = {std::move(body)};
  }

  void snippet(const std::string& name) {
    if (snippets_.count(name)) {
      fail("redeclaration of previously declared snippet " + name);
    }
    std::vector<Token> body = blockTokens(false);
    SourceRemap named([&name](Source& s) { s.snippetName = name; });
    for (auto& t : body) {
      named.apply(t.loc);
    }
    snippets_[name] = std::move(body);
    block_.keys.clear();  // a snippet is not a site
  }

  void addresses() {
    bool expectingAnother = false;
    while (true) {
      std::string value = val();
      if (startsWith(value, "@")) {
        fail("request matchers may not be defined globally, they must be in a site block; found " + value);
      }
      if (value == "import" && isNewLineAcrossImports()) {
        doImport(0);
        continue;
      }
      if (isOpenBrace(tok())) {
        if (expectingAnother) {
          fail("Expected another address but had '" + value + "' - check for extra comma");
        }
        block_.hasBraces = true;
        break;
      }
      if (endsWith(value, "{")) {
        fail("Site addresses cannot end with a curly brace: '" + value +
             "' - put a space between the token and the brace");
      }
      if (!value.empty()) {
        expectingAnother = value.back() == ',';
        if (expectingAnother)
          value.pop_back();
        if (value.find(',') != std::string::npos) {
          fail("Site addresses cannot contain a comma ',': '" + value +
               "' - put a space after the comma to separate site addresses");
        }
        if (!value.empty()) {
          Token key = tok();
          key.text = value;
          block_.keys.push_back(std::move(key));
        }
      }
      const bool hasNext = next();
      if (expectingAnother && !hasNext)
        fail("unexpected EOF");
      if (!hasNext) {
        eof_ = true;
        break;
      }
      if (!expectingAnother && isNewLineAcrossImports())
        break;
    }
  }

  void blockContents() {
    const bool braced = isOpenBrace(tok());
    if (!braced)
      --cursor_;  // a lone site needs no braces
    directives();
    if (braced && !isCloseBrace(tok()))
      syntaxErr("}");
  }

  void directives() {
    while (next()) {
      if (isCloseBrace(tok()))
        break;
      if (val() == "import") {
        doImport(1);
        --cursor_;
        continue;
      }
      directive();
    }
  }

  // One segment: a directive's line, plus the block it opens at the end of that line.
  void directive() {
    Segment segment{tok()};
    while (next()) {
      const std::string& v = val();
      if (isOpenBrace(tok())) {
        ++nesting_;
        if (!nextIsOnNewLine())
          fail("Unexpected next token after '{' on same line");
        // 2.6.2 opens the block even when the '{' starts a line (newer Caddy refuses that):
        // the directive then reads it as its own tokens dictate.
      } else if (v == "{}") {
        if (nextIsOnNewLine() && !tok().quoted())
          fail("Unexpected '{}' at end of line");
      } else if (isNewLine() && nesting_ == 0) {
        --cursor_;
        break;
      } else if (isCloseBrace(tok()) && nesting_ > 0) {
        --nesting_;
      } else if (isCloseBrace(tok())) {
        fail("Unexpected '}' because no matching opening brace");
      } else if (v == "import" && isNewLine()) {
        doImport(1);
        --cursor_;
        continue;
      }
      segment.push_back(tok());
    }
    block_.segments.push_back(std::move(segment));
    if (nesting_ > 0)
      fail("unexpected EOF");
  }

  // The braced block at the cursor, for later replay (snippets) or as is (named routes).
  std::vector<Token> blockTokens(bool keepBraces) {
    if (!isOpenBrace(tok()))
      syntaxErr("{");
    int depth = 1;
    std::vector<Token> out;
    if (keepBraces)
      out.push_back(tok());
    while (next()) {
      if (isCloseBrace(tok()) && --depth == 0) {
        if (keepBraces)
          out.push_back(tok());
        break;
      }
      if (isOpenBrace(tok()))
        ++depth;
      out.push_back(tok());
    }
    if (depth != 0)
      syntaxErr("}");
    return out;
  }

  // ---- import ----

  struct ImportBlock {
    std::vector<Token> all;                            // for {block}
    std::map<std::string, std::vector<Token>> byName;  // for {blocks.name}
  };

  static bool usesBlockPlaceholder(const std::vector<Token>& tokens) {
    return std::any_of(tokens.begin(), tokens.end(), [](const Token& t) {
      return t.text == "{block}" || (startsWith(t.text, "{blocks.") && endsWith(t.text, "}"));
    });
  }

  ImportBlock readImportBlock() {
    ImportBlock block;
    for (const int depth = blockNesting_; nextBlock(depth);) {
      block.all.push_back(tok());
    }
    if (block.all.empty())
      return block;
    Dispenser sub(block.all);
    while (sub.next()) {
      const std::string key = sub.val();
      if (isOpenBrace(sub.token()))
        fail("anonymous blocks are not supported");
      std::vector<Token> content = sub.remainingArgsRaw();
      for (const int depth = sub.nesting(); sub.nextBlock(depth);) {
        content.push_back(sub.token());
      }
      block.byName[key] = std::move(content);
    }
    return block;
  }

  // Replaces the import statement (with its arguments and block) by the imported tokens and
  // leaves the cursor on the first of them.
  void doImport(int nesting) {
    const int importStart = cursor_;
    const Token importToken = tok();
    if (!nextArg())
      argErr();
    const std::string pattern = val();
    if (pattern.empty())
      fail("Import requires a non-empty filepath");
    std::vector<std::string> args;
    while (nextArg())
      args.push_back(val());

    std::vector<Token> imported;
    std::vector<std::string> nodes;
    if (auto it = snippets_.find(pattern); it != snippets_.end()) {
      imported = it->second;
      if (!imported.empty())
        nodes.push_back(imported[0].loc.file() + ":" + imported[0].loc.snippetName());
    } else {
      importFiles(pattern, importToken, imported, nodes);
    }
    // Import blocks are newer Caddy's (2.9): only tokens that use {block} or {blocks.NAME}
    // take one. Otherwise, as in 2.6.2, a '{' after the arguments is not the import's: it
    // stays in the stream after the imported tokens, a block of their last directive.
    ImportBlock block;
    if (usesBlockPlaceholder(imported))
      block = readImportBlock();
    checkCycles(nodes);

    splice(importStart, expandImported(std::move(imported), args, block, importToken, nesting));
  }

  // Replaces tokens_[importStart..cursor_] (the import statement) by `expanded`, leaving the
  // cursor on the first of them. The tail stays in place and the expansion is written into
  // the consumed prefix, which the parser never reads again but for the one token before the
  // statement (for line checks); so an import costs O(expansion), not O(file). Splicing in
  // the middle of the vector made N imports cost O(N * tokens).
  void splice(int importStart, std::vector<Token> expanded) {
    const int k = static_cast<int>(expanded.size());
    const bool hasPrev = importStart > firstValid_;
    int end = cursor_ + 1;  // the first token after the statement
    if (end - k - (hasPrev ? 1 : 0) < 0) {
      // Not enough consumed room in front: regrow with a front gap at least as large as the
      // vector, so repeated growth stays amortized linear.
      const int gap = k + 1 + static_cast<int>(tokens_.size());
      std::vector<Token> grown(gap + tokens_.size());
      std::move(tokens_.begin(), tokens_.end(), grown.begin() + gap);
      tokens_ = std::move(grown);
      importStart += gap;
      end += gap;
      firstValid_ += gap;
    }
    Token prev;
    if (hasPrev) {
      prev = std::move(tokens_[importStart - 1]);
    }
    const int first = end - k;
    std::move(expanded.begin(), expanded.end(), tokens_.begin() + first);
    if (hasPrev) {
      tokens_[first - 1] = std::move(prev);
    }
    firstValid_ = hasPrev ? first - 1 : first;
    cursor_ = first;
  }

  void checkCycles(const std::vector<std::string>& nodes) {
    std::string nodeName = tok().loc.file();
    if (!tok().loc.snippetName().empty())
      nodeName += ":" + tok().loc.snippetName();
    graph_.addNode(nodeName);
    graph_.addNodes(nodes);
    if (std::string error = graph_.addEdges(nodeName, nodes); !error.empty()) {
      graph_.removeNodes(nodes);
      fail(error);
    }
  }

  void importFiles(const std::string& pattern, const Token& importToken, std::vector<Token>& out,
                   std::vector<std::string>& nodes) {
    const std::string& importer = importToken.loc.file();
    const std::string absFile = absolutePath(importer.empty() ? "Caddyfile" : importer);
    const std::string globPattern =
        startsWith(pattern, "/") ? pattern : cleanPath(dirOf(absFile) + "/" + pattern);
    const auto count = [&](char c) { return std::count(globPattern.begin(), globPattern.end(), c); };
    if (count('*') > 1 || count('?') > 1 ||
        (globPattern.find('[') != std::string::npos && globPattern.find(']') != std::string::npos)) {
      fail("Glob pattern may only contain one wildcard (*), but has others: " + globPattern);
    }
    std::vector<std::string> matches;
    if (!globFiles(globPattern, matches)) {
      fail("Failed to use import pattern " + pattern + ": syntax error in pattern");
    }
    if (matches.empty()) {
      if (globPattern.find_first_of("*?[]") != std::string::npos)
        return;  // only a warning in Caddy
      fail("File to import not found: " + pattern);
    }
    if (startsWith(globPattern.substr(globPattern.rfind('/') + 1), "*")) {
      // A trailing "*" does not pick up dotfiles.
      std::erase_if(matches, [](const std::string& m) { return m[m.rfind('/') + 1] == '.'; });
    }
    for (const auto& file : matches) {
      std::vector<Token> tokens = importFile(file);
      out.insert(out.end(), tokens.begin(), tokens.end());
    }
    nodes = matches;
  }

  std::vector<Token> importFile(const std::string& file) {
    struct stat st {};
    if (stat(file.c_str(), &st) != 0)
      fail("Could not import " + file + ": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode))
      fail("Could not import " + file + ": is a directory");
    std::ifstream in(file, std::ios::binary);
    if (!in)
      fail("Could not import " + file + ": " + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string input = ss.str();
    if (input.find_first_not_of(" \t\r\n\v\f") == std::string::npos)
      return {};  // empty: a warning
    try {
      return tokenize(replaceEnvVars(input, options_), absolutePath(file));
    } catch (const ConfigError& e) {
      fail("Could not read tokens while importing " + file + ": " + e.message());
    }
  }

  // Applies one import's arguments and block to its tokens. Snippet definitions found inside
  // an imported file keep their placeholders: they belong to that snippet's own imports.
  std::vector<Token> expandImported(std::vector<Token> imported, const std::vector<std::string>& args,
                                    const ImportBlock& block, const Token& importToken, int nesting) {
    const std::string via = importToken.loc.file() + ":" + std::to_string(importToken.loc.line) + ":" +
                            std::to_string(importToken.loc.col);
    SourceRemap viaImport([&via](Source& s) { s.importedFrom.push_back(via); });
    SourceRemap fromBlock([](Source& s) { s.importBlock = true; });
    std::vector<Token> out;
    out.reserve(imported.size());
    bool maybeSnippet = false, maybeSnippetId = false;
    int index = 0;
    for (size_t i = 0; i < imported.size(); ++i) {
      Token token = std::move(imported[i]);
      viaImport.apply(token.loc);
      if (!maybeSnippet && nesting == 0) {
        const bool lineStart = i == 0 || out.empty() || isNextOnNewLine(out.back(), token);
        index = lineStart ? 0 : index + 1;
        if (index == 0 && token.text.size() >= 3 && startsWith(token.text, "(") &&
            endsWith(token.text, ")")) {
          maybeSnippetId = true;
        }
      }
      if (isOpenBrace(token)) {
        ++nesting;
        if (index == 1 && maybeSnippetId && nesting == 1) {
          maybeSnippet = true;
          maybeSnippetId = false;
        }
      } else if (isCloseBrace(token)) {
        --nesting;
        if (nesting == 0 && maybeSnippet)
          maybeSnippet = false;
      }

      const std::vector<Token>* blockContent = nullptr;
      bool isBlockPlaceholder = false;
      if (token.text == "{block}") {
        isBlockPlaceholder = true;
        blockContent = &block.all;
      } else if (startsWith(token.text, "{blocks.") && endsWith(token.text, "}")) {
        isBlockPlaceholder = true;
        auto it = block.byName.find(token.text.substr(8, token.text.size() - 9));
        if (it != block.byName.end())
          blockContent = &it->second;
      }
      if (isBlockPlaceholder) {
        if (maybeSnippet) {
          out.push_back(std::move(token));
        } else if (blockContent != nullptr) {
          for (Token blockToken : *blockContent) {
            fromBlock.apply(blockToken.loc);
            out.push_back(std::move(blockToken));
          }
        }
        continue;
      }
      if (maybeSnippet) {
        out.push_back(std::move(token));
        continue;
      }
      size_t from = 0, to = 0;
      if (parseVariadicArgs(token.text, args.size(), from, to)) {
        for (size_t a = from; a < to; ++a) {
          Token argToken = token;
          argToken.text = args[a];
          out.push_back(std::move(argToken));
        }
        continue;
      }
      token.text = replaceImportArgs(token.text, args);
      out.push_back(std::move(token));
    }
    return out;
  }

  std::vector<Token> tokens_;
  const ParseOptions& options_;
  int cursor_ = -1;
  int firstValid_ = 0;    // tokens_ before this index are consumed and dead (see splice)
  int blockNesting_ = 0;  // the Dispenser's nesting, moved only by nextBlock()
  int nesting_ = 0;       // brace depth inside the current directive
  bool eof_ = false;
  ServerBlock block_;
  std::map<std::string, std::vector<Token>> snippets_;
  ImportGraph graph_;
};

}  // namespace

std::vector<ServerBlock> parseCaddyfile(std::string_view text, const std::string& filename,
                                        const ParseOptions& options) {
  std::vector<Token> tokens = tokenize(replaceEnvVars(text, options), filename);
  return Parser(std::move(tokens), options).parseAll();
}

}  // namespace gatehouse::parser
