// The dominator tree of a heap graph and the retained sizes it gives: what would be freed with
// each object. Computed as Chrome DevTools and memlab compute it, so that the numbers agree:
//
//   - Only "essential" edges retain: not weak edges, not an object's edge to itself, not a
//     shortcut except from the root, and not an edge from an object outside the page-owned set
//     into one inside it (so that what the debugger or the VM holds does not change the
//     dominators of the program's objects). DevTools also drops the edge from a WeakMap's table
//     to a value (the key's edge keeps it).
//   - The page-owned set is what non-weak edges reach from some of the root's children. Here the
//     two tools differ: DevTools starts from the root's shortcut edges (the global objects) and
//     "(Document DOM trees)"; memlab (2.0.5) from every other child of the root, (GC roots)
//     included. For a Node.js heap that means DevTools ignores what only the VM's roots (the
//     stack, handles, compilation caches) hold in the global object's graph, and memlab does not.
//   - Nodes the root does not reach are attached to the root: first those with only weak
//     retainers (DevTools: none essential; memlab: none other than weak or shortcut), each with
//     what it reaches, then any left over (cycles retained by nothing), one by one.
//
// The algorithm is Lengauer and Tarjan's semidominators followed by the semi-NCA step
// (Georgiadis), over arrays in depth-first order; every walk is a loop (a linked list of a
// million nodes is a test fixture). Working memory at the peak, the semidominator pass: 20
// bytes per node and 4 per essential edge other than the depth-first tree's, beside the graph's
// 17 and 8 (heap_graph.h); the ancestor links of the path compression reuse the predecessor
// offsets that are already read.
//
// Thread: the analysis worker thread; no V8. Lifetime: DominatorTree lives as long as the
// analysis that needs it.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "heap_graph.h"

namespace heapwatch {

enum class DominatorRules { kDevTools, kMemlab };

struct DominatorTree {
  std::vector<uint32_t> dominator;  // node -> its immediate dominator; the root's is itself
  std::vector<uint64_t> retained;   // node -> retained size in bytes
  uint32_t unreachable = 0;         // nodes the root does not reach through essential edges
};

// Called between steps: (step, done, total) with step "dominators" or "retained sizes".
using StepProgress = std::function<void(const char* step, uint64_t done, uint64_t total)>;

// The dominator tree of `graph` rooted at node 0 (V8 writes the synthetic root first).
void ComputeDominators(const HeapGraph& graph, DominatorRules rules, const StepProgress& progress,
                       DominatorTree* out);

// Children lists of the dominator tree, to walk it from the root down.
struct DominatedLists {
  std::vector<uint32_t> first;  // node -> offset into `nodes`; node_count + 1 entries
  std::vector<uint32_t> nodes;

  static DominatedLists Of(const std::vector<uint32_t>& dominator);
};

// Calls enter(node) going down the dominator tree from the root and leave(node) coming back up,
// in depth-first order, with an explicit stack.
template <class Enter, class Leave>
void WalkDominatorTree(const DominatedLists& lists, Enter enter, Leave leave) {
  struct Frame {
    uint32_t node;
    uint32_t next;  // offset of the next child to visit
  };
  std::vector<Frame> stack;
  enter(0);
  stack.push_back({0, lists.first[0]});
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.next < lists.first[top.node + 1]) {
      uint32_t child = lists.nodes[top.next++];
      enter(child);
      stack.push_back({child, lists.first[child]});
    } else {
      leave(top.node);
      stack.pop_back();
    }
  }
}

}  // namespace heapwatch
