#include "import_graph.h"

#include <algorithm>

namespace gatehouse::parser {

void ImportGraph::addNodes(const std::vector<std::string>& names) {
  nodes_.insert(names.begin(), names.end());
}

void ImportGraph::removeNodes(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    nodes_.erase(name);
  }
}

std::string ImportGraph::addEdges(const std::string& from, const std::vector<std::string>& tos) {
  for (const auto& to : tos) {
    if (std::string error = addEdge(from, to); !error.empty()) {
      return error;
    }
  }
  return {};
}

std::string ImportGraph::addEdge(const std::string& from, const std::string& to) {
  if (!nodes_.count(from) || !nodes_.count(to)) {
    return "one of the nodes does not exist";
  }
  if (reachable(to, from)) {
    return "a cycle of imports exists between " + from + " and " + to;
  }
  auto& out = edges_[from];
  if (std::find(out.begin(), out.end(), to) == out.end()) {
    out.push_back(to);
  }
  return {};
}

bool ImportGraph::reachable(const std::string& from, const std::string& to) const {
  std::set<std::string> seen;
  std::vector<std::string> stack;
  if (auto it = edges_.find(from); it != edges_.end()) {
    stack = it->second;
  }
  while (!stack.empty()) {
    std::string node = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(node).second) {
      continue;
    }
    if (node == to) {
      return true;
    }
    if (auto it = edges_.find(node); it != edges_.end()) {
      stack.insert(stack.end(), it->second.begin(), it->second.end());
    }
  }
  return false;
}

}  // namespace gatehouse::parser
