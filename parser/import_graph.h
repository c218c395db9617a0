#pragma once
// The graph of imports seen while parsing (files and "file:snippet" nodes), used to refuse
// import cycles with Caddy's wording.

#include <map>
#include <set>
#include <string>
#include <vector>

namespace gatehouse::parser {

class ImportGraph {
 public:
  void addNode(const std::string& name) { nodes_.insert(name); }
  void addNodes(const std::vector<std::string>& names);
  void removeNodes(const std::vector<std::string>& names);
  // Adds from -> to for each `to`. Returns the error message of the first edge that would close
  // a cycle ("a cycle of imports exists between A and B"), or an empty string.
  std::string addEdges(const std::string& from, const std::vector<std::string>& tos);

 private:
  std::string addEdge(const std::string& from, const std::string& to);
  // True when `to` is reachable from `from` through at least one edge.
  [[nodiscard]] bool reachable(const std::string& from, const std::string& to) const;

  std::set<std::string> nodes_;
  std::map<std::string, std::vector<std::string>> edges_;
};

}  // namespace gatehouse::parser
