#pragma once
// Writes JSON text piece by piece, in exactly the layout nlohmann's dump() gives a tree (compact,
// or one tab per level), so a large document can be printed straight from the site graph
// without first building it as a JSON tree. Leaf values go through nlohmann's own serializer.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "gatehouse/config/site_graph.h"

namespace gatehouse::config {

// Go's encoder escapes <, > and & as \u003c, \u003e and \u0026 (for HTML safety), and
// Caddy's output carries them; applies that to JSON text.
std::string escapeForHtml(std::string s);

// A copy of `v` with every object's keys sorted, at every depth. Caddy builds each module value
// (handler, matcher inside a module, issuer, encoder ...) by unmarshalling it into a Go map and
// marshalling that again, and Go prints map keys sorted: so a module prints fully sorted.
Json sortedDeep(const Json& v);

class JsonWriter {
 public:
  JsonWriter(std::string& out, bool pretty);

  void beginObject();
  void endObject();
  void beginArray();
  void endArray();
  // The next member's key; its value follows (a value, or a begun object or array).
  void key(std::string_view name);
  // A whole value, or an array element.
  void value(const Json& v);
  void value(std::string_view s);
  void value(bool b);
  // A whole value with every object's keys sorted, at every depth (see sortedDeep()).
  void sortedValue(const Json& v);

 private:
  struct Level {
    bool empty = true;
  };
  // Separator and indentation before an array element or an object key.
  void beforeElement();
  // Before a value: an array element needs its separator; an object member had it at key().
  void beforeValue();
  void open(char bracket);
  void close(char bracket);
  void indent(std::size_t depth);

  std::string& out_;
  bool pretty_;
  bool afterKey_ = false;
  std::vector<Level> levels_;
  nlohmann::detail::serializer<Json> serializer_;
};

}  // namespace gatehouse::config
