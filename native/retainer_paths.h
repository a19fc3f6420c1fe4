// Retainer paths: how the root reaches an object, as text such as
// "(GC roots) > ... > global > sessions (property) > Map > table (internal) > ... > Session".
// One implementation for the in-process HeapDiff (a live v8::HeapSnapshot) and for snapshot
// files (HeapGraph): the same walk, the same labels, the same choice of paths.
//
// The walk is breadth-first (shortest paths) from the root, over every edge but weak ones, never
// out of HeapDiff's own objects. What the running code holds on its stack or in handles is
// rarely the leak, and newer V8s (conservative stack scanning) reach many objects from there
// first: the root groups "(Stack roots)", "(Handle scope)" and "(Identity map)" (V8's short-lived
// lookup tables, seen holding a program's Map on Node 26) are walked only after everything
// else, so that an object also held by a cache is found through the cache.
//
// Thread: whichever thread owns the graph (the JS thread for a v8::HeapSnapshot, the analysis
// worker for a HeapGraph). Lifetime: a RetainerSearch lives for one report.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "heap_graph.h"

namespace heapwatch {

// How a node reads in a path. Strings show as "String", never their contents.
std::string NodeLabel(NodeKind kind, std::string_view name);
// How an edge reads: "cache (property)", "table (internal)", "x (variable)", "[3]".
// `name` for string-named kinds, `index` for element and hidden edges.
std::string EdgeLabel(EdgeKind kind, std::string_view name, uint64_t index);
// A path with its numbers blanked: paths through the same holders share a shape.
std::string ShapeOf(std::string_view path);
// Up to `count` of `paths` to show: those that start on the stack or in handles last, one per
// shape.
std::vector<std::string> PickPaths(std::vector<std::string> paths, size_t count);

// A node kind from V8's numbering, or a later V8's kind this code does not know.
inline NodeKind KindFromV8(int type) {
  return type >= 0 && type <= static_cast<int>(NodeKind::kObjectShape) ? static_cast<NodeKind>(type)
                                                                       : NodeKind::kOther;
}
inline EdgeKind EdgeKindFromV8(int type) {
  return type >= 0 && type <= static_cast<int>(EdgeKind::kWeak) ? static_cast<EdgeKind>(type)
                                                                : EdgeKind::kOther;
}

// The breadth-first walk over a graph seen through an adapter G with nodes numbered
// 0..NodeCount()-1:
//   uint32_t NodeCount(), Root(); uint32_t Id(n); NodeKind Kind(n);
//   std::string_view Name(n)  (valid until the next call);
//   uint32_t ChildCount(n); EdgeKind ChildKind(n, k); uint32_t ChildTo(n, k);
//   std::string ChildLabel(n, k)  (EdgeLabel of that edge).
// Memory: 12 bytes per node (parent, edge, queue).
template <class G>
class RetainerSearch {
 public:
  static constexpr uint32_t kUnseen = UINT32_MAX;

  explicit RetainerSearch(const G& g)
      : g_(g), parent_(g.NodeCount(), kUnseen), edge_(g.NodeCount(), 0) {}

  // Walks until reached(node) returns false. reached() is called once for each node, in
  // breadth-first order; skip_out(node) true: the node's edges are not followed.
  template <class Reached, class SkipOut>
  void Run(Reached reached, SkipOut skip_out) {
    const uint32_t root = g_.Root();
    std::vector<uint32_t> queue;
    std::vector<std::pair<uint32_t, uint32_t>> deferred;  // (from, edge)
    parent_[root] = root;
    queue.push_back(root);
    if (!reached(root)) return;
    for (size_t head = 0;; head++) {
      if (head == queue.size()) {
        if (deferred.empty()) return;
        for (auto [from, k] : deferred) {
          uint32_t to = g_.ChildTo(from, k);
          if (parent_[to] != kUnseen) continue;
          parent_[to] = from;
          edge_[to] = k;
          queue.push_back(to);
          if (!reached(to)) return;
        }
        deferred.clear();
        if (head == queue.size()) return;
      }
      const uint32_t node = queue[head];
      if (skip_out(node)) continue;
      const bool from_root_group = node == root || g_.Kind(node) == NodeKind::kSynthetic;
      const uint32_t children = g_.ChildCount(node);
      for (uint32_t k = 0; k < children; k++) {
        if (g_.ChildKind(node, k) == EdgeKind::kWeak) continue;
        const uint32_t to = g_.ChildTo(node, k);
        if (parent_[to] != kUnseen || g_.Id(to) == 0) continue;  // V8 never gives out id 0
        if (from_root_group && IsStackGroup(to)) {
          deferred.emplace_back(node, k);
          continue;
        }
        parent_[to] = node;
        edge_[to] = k;
        queue.push_back(to);
        if (!reached(to)) return;
      }
    }
  }

  bool Reached(uint32_t node) const { return parent_[node] != kUnseen; }
  uint32_t Parent(uint32_t node) const { return parent_[node]; }

  // The path from the root to a reached node. Edges out of the root and out of the synthetic
  // root groups are only indices: they are left out.
  std::string PathTo(uint32_t node) const {
    std::vector<uint32_t> chain;
    for (uint32_t n = node; n != g_.Root(); n = parent_[n]) chain.push_back(n);
    std::string path;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      uint32_t from = parent_[*it];
      if (from != g_.Root() && g_.Kind(from) != NodeKind::kSynthetic) {
        path += " > ";
        path += g_.ChildLabel(from, edge_[*it]);
      }
      if (!path.empty()) path += " > ";
      path += NodeLabel(g_.Kind(*it), g_.Name(*it));
    }
    return path;
  }

 private:
  bool IsStackGroup(uint32_t n) const {
    if (g_.Kind(n) != NodeKind::kSynthetic) return false;
    std::string_view name = g_.Name(n);
    return name == "(Stack roots)" || name == "(Handle scope)" || name == "(Identity map)";
  }

  const G& g_;
  std::vector<uint32_t> parent_;  // kUnseen until reached; the root is its own parent
  std::vector<uint32_t> edge_;    // which of the parent's edges reached it
};

// The adapter for a snapshot file's graph.
class HeapGraphPaths {
 public:
  explicit HeapGraphPaths(const HeapGraph& g) : g_(g) {}
  uint32_t NodeCount() const { return g_.node_count(); }
  uint32_t Root() const { return 0; }
  uint32_t Id(uint32_t n) const { return g_.Id(n); }
  NodeKind Kind(uint32_t n) const { return g_.Kind(n); }
  std::string_view Name(uint32_t n) const { return g_.Name(n); }
  uint32_t ChildCount(uint32_t n) const { return g_.FirstEdge(n + 1) - g_.FirstEdge(n); }
  EdgeKind ChildKind(uint32_t n, uint32_t k) const { return g_.EdgeKindOf(g_.FirstEdge(n) + k); }
  uint32_t ChildTo(uint32_t n, uint32_t k) const { return g_.EdgeTo(g_.FirstEdge(n) + k); }
  std::string_view ChildName(uint32_t n, uint32_t k) const {
    return g_.EdgeName(g_.FirstEdge(n) + k);
  }
  std::string ChildLabel(uint32_t n, uint32_t k) const {
    uint32_t e = g_.FirstEdge(n) + k;
    return EdgeLabel(g_.EdgeKindOf(e), g_.EdgeName(e), g_.EdgeNameOrIndex(e));
  }

 private:
  const HeapGraph& g_;
};

}  // namespace heapwatch
