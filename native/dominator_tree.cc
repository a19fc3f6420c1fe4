#include "dominator_tree.h"

#include <string_view>
#include <unordered_map>

namespace heapwatch {

namespace {

// Per-node bits.
constexpr uint8_t kPageOwned = 1;
constexpr uint8_t kHasEssentialRetainer = 2;  // DevTools' test for "only weak retainers"
constexpr uint8_t kHasStrongReferrer = 4;     // memlab's: a referrer neither weak nor shortcut

constexpr uint32_t kRoot = 0;

bool SkipDigits(std::string_view s, size_t* i) {
  size_t start = *i;
  while (*i < s.size() && s[*i] >= '0' && s[*i] <= '9') (*i)++;
  return *i > start;
}

bool EndsWithId(std::string_view s) {
  // "... @123)"
  if (s.empty() || s.back() != ')') return false;
  size_t i = s.size() - 1;
  size_t digits_end = i;
  while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9') i--;
  return i < digits_end && i >= 2 && s[i - 1] == '@' && s[i - 2] == ' ';
}

// V8 names the edges of a WeakMap entry
// "<n> / part of key (<what> @<id>) -> value (<what> @<id>) pair in WeakMap (table @<id>)";
// returns the table's id, or HeapGraph::kNone for any other name (DevTools' pattern).
uint32_t WeakMapTableId(std::string_view s) {
  size_t i = 0;
  if (!SkipDigits(s, &i)) return HeapGraph::kNone;
  constexpr std::string_view kKey = " / part of key (";
  constexpr std::string_view kTable = " pair in WeakMap (table @";
  constexpr std::string_view kValue = ") -> value (";
  if (s.substr(i, kKey.size()) != kKey) return HeapGraph::kNone;
  size_t table = s.rfind(kTable);
  if (table == std::string_view::npos || table < i + kKey.size()) return HeapGraph::kNone;
  size_t d = table + kTable.size();
  size_t digits = d;
  if (!SkipDigits(s, &d) || d + 1 != s.size() || s[d] != ')') return HeapGraph::kNone;
  std::string_view middle = s.substr(i + kKey.size(), table - i - kKey.size());
  size_t value = middle.find(kValue);
  if (value == std::string_view::npos || !EndsWithId(middle.substr(0, value + 1)) ||
      !EndsWithId(middle)) {
    return HeapGraph::kNone;
  }
  uint64_t id = 0;
  for (size_t k = digits; k < d; k++) id = id * 10 + static_cast<uint64_t>(s[k] - '0');
  return id > UINT32_MAX ? HeapGraph::kNone : static_cast<uint32_t>(id);
}

class Builder {
 public:
  Builder(const HeapGraph& g, DominatorRules rules, const StepProgress& progress)
      : g_(g), rules_(rules), progress_(progress), n_(g.node_count()) {}

  void Run(DominatorTree* out) {
    if (n_ == 0) return;
    Report(0);
    FindWeakMapNames();
    MarkFlags();
    Report(1);
    NumberDepthFirst();
    Report(2);
    BuildPredecessors();
    Report(3);
    Semidominators();
    Report(4);
    ImmediateDominators();
    Report(5);
    Retained(out);
  }

 private:
  static constexpr uint64_t kSteps = 6;
  void Report(uint64_t step) {
    if (progress_) progress_("dominators", step, kSteps);
  }

  // Strings that name WeakMap entries, with their table's id (DevTools only).
  void FindWeakMapNames() {
    if (rules_ != DominatorRules::kDevTools) return;
    const StringTable& strings = g_.strings();
    for (uint32_t s = 0; s < strings.count(); s++) {
      std::string_view name = strings.Get(s);
      if (name.size() < 40 || name.back() != ')') continue;
      uint32_t table = WeakMapTableId(name);
      if (table == HeapGraph::kNone) continue;
      weak_map_table_[s] = table;
      if (weak_map_name_.empty()) weak_map_name_.resize(strings.count(), false);
      weak_map_name_[s] = true;
    }
  }

  // The rule itself; computed once per edge into essential_.
  bool IsEssential(uint32_t from, uint32_t e) const {
    EdgeKind kind = g_.EdgeKindOf(e);
    if (kind == EdgeKind::kWeak) return false;
    uint32_t to = g_.EdgeTo(e);
    if (from == to) return false;
    if (kind == EdgeKind::kInternal && !weak_map_table_.empty()) {
      uint64_t name = g_.EdgeNameOrIndex(e);
      if (name < weak_map_name_.size() && weak_map_name_[name]) {
        auto it = weak_map_table_.find(static_cast<uint32_t>(name));
        if (it != weak_map_table_.end() && it->second == g_.Id(from)) return false;
      }
    }
    if (from != kRoot) {
      if (kind == EdgeKind::kShortcut) return false;
      if ((flags_[to] & kPageOwned) && !(flags_[from] & kPageOwned)) return false;
    }
    return true;
  }

  bool Essential(uint32_t e) const { return essential_[e >> 6] >> (e & 63) & 1; }

  // The page-owned set (see the header), then which nodes have what kind of retainer.
  void MarkFlags() {
    flags_.assign(n_, 0);
    std::vector<uint32_t> stack;
    for (uint32_t e = g_.FirstEdge(kRoot); e < g_.FirstEdge(kRoot + 1); e++) {
      EdgeKind kind = g_.EdgeKindOf(e);
      uint32_t to = g_.EdgeTo(e);
      bool dom_trees = g_.Kind(to) == NodeKind::kSynthetic && g_.Name(to) == "(Document DOM trees)";
      bool seed = rules_ == DominatorRules::kDevTools
                      ? kind == EdgeKind::kShortcut || (kind == EdgeKind::kElement && dom_trees)
                      : kind != EdgeKind::kShortcut && !(kind == EdgeKind::kElement && dom_trees);
      if (!seed || (flags_[to] & kPageOwned)) continue;
      flags_[to] |= kPageOwned;
      stack.push_back(to);
    }
    while (!stack.empty()) {
      uint32_t node = stack.back();
      stack.pop_back();
      for (uint32_t e = g_.FirstEdge(node); e < g_.FirstEdge(node + 1); e++) {
        uint32_t to = g_.EdgeTo(e);
        if ((flags_[to] & kPageOwned) || g_.EdgeKindOf(e) == EdgeKind::kWeak) continue;
        flags_[to] |= kPageOwned;
        stack.push_back(to);
      }
    }
    std::vector<uint32_t>().swap(stack);
    // One bit per edge (an eighth of a byte): the rule is needed four times per edge.
    essential_.assign((static_cast<size_t>(g_.edge_count()) + 63) / 64, 0);
    for (uint32_t from = 0; from < n_; from++) {
      for (uint32_t e = g_.FirstEdge(from); e < g_.FirstEdge(from + 1); e++) {
        uint32_t to = g_.EdgeTo(e);
        EdgeKind kind = g_.EdgeKindOf(e);
        if (kind != EdgeKind::kWeak && kind != EdgeKind::kShortcut) {
          flags_[to] |= kHasStrongReferrer;
        }
        if (IsEssential(from, e)) {
          flags_[to] |= kHasEssentialRetainer;
          essential_[e >> 6] |= uint64_t{1} << (e & 63);
        }
      }
    }
  }

  bool OnlyWeakRetainers(uint32_t node) const {
    return !(flags_[node] &
             (rules_ == DominatorRules::kDevTools ? kHasEssentialRetainer : kHasStrongReferrer));
  }

  // Numbers the nodes 1..n in depth-first order over essential edges from the root, then from
  // each node with only weak retainers, then the rest one by one (the header says why).
  // Numbers are 1-based: 0 marks "not yet visited".
  void NumberDepthFirst() {
    number_.assign(static_cast<size_t>(n_) + 1, 0);
    vertex_.assign(static_cast<size_t>(n_) + 1, 0);
    parent_.assign(static_cast<size_t>(n_) + 1, 0);
    // cursor_[k]: the next edge to look at of the node numbered k.
    cursor_.assign(static_cast<size_t>(n_) + 1, 0);
    Visit(kRoot, 0);
    unreachable_ = n_ - count_;
    if (count_ < n_) {
      for (uint32_t v = 0; v < n_; v++) {
        if (number_[v] == 0 && OnlyWeakRetainers(v)) Visit(v, 1);
      }
    }
    first_unvisited_ = count_ + 1;
    if (count_ < n_) {
      for (uint32_t v = 0; v < n_; v++) {
        if (number_[v] != 0) continue;
        uint32_t k = ++count_;
        number_[v] = k;
        vertex_[k] = v;
        parent_[k] = 1;
      }
    }
    std::vector<uint32_t>().swap(cursor_);
  }

  // Depth-first from `start`, whose tree parent is the node numbered `parent`. The path back up
  // is the parent links: no stack.
  void Visit(uint32_t start, uint32_t parent) {
    uint32_t k = ++count_;
    number_[start] = k;
    vertex_[k] = start;
    parent_[k] = parent;
    cursor_[k] = g_.FirstEdge(start);
    while (k != parent) {
      uint32_t v = vertex_[k];
      uint32_t end = g_.FirstEdge(v + 1);
      uint32_t next = parent_[k];
      for (uint32_t& e = cursor_[k]; e < end; e++) {
        uint32_t w = g_.EdgeTo(e);
        if (number_[w] != 0 || !Essential(e)) continue;
        uint32_t child = ++count_;
        number_[w] = child;
        vertex_[child] = w;
        parent_[child] = k;
        cursor_[child] = g_.FirstEdge(w);
        e++;
        next = child;
        break;
      }
      k = next;
    }
  }

  // The essential predecessors of each node, by depth-first number, as offset lists. The tree
  // edge from a node's depth-first parent is left out, 4 bytes per node saved at the peak:
  // Semidominators() starts from the parent instead, which is what that edge gives.
  bool TreeEdge(uint32_t source, uint32_t target) const {
    return target < first_unvisited_ && parent_[target] == source;
  }

  void BuildPredecessors() {
    offset_.assign(static_cast<size_t>(n_) + 2, 0);
    for (uint32_t from = 0; from < n_; from++) {
      uint32_t source = number_[from];
      for (uint32_t e = g_.FirstEdge(from); e < g_.FirstEdge(from + 1); e++) {
        uint32_t target = number_[g_.EdgeTo(e)];
        if (Essential(e) && !TreeEdge(source, target)) offset_[target]++;
      }
    }
    uint32_t total = 0;
    for (size_t k = 0; k < offset_.size(); k++) {
      total += offset_[k];
      offset_[k] = total;  // the end of k's list for now
    }
    preds_.resize(total);
    for (uint32_t from = 0; from < n_; from++) {
      uint32_t source = number_[from];
      for (uint32_t e = g_.FirstEdge(from); e < g_.FirstEdge(from + 1); e++) {
        uint32_t target = number_[g_.EdgeTo(e)];
        if (Essential(e) && !TreeEdge(source, target)) preds_[--offset_[target]] = source;
      }
    }
    // offset_[k] is now the start of k's list, offset_[k + 1] its end.
    std::vector<uint8_t>().swap(flags_);
    std::vector<uint64_t>().swap(essential_);
    weak_map_table_.clear();
    std::vector<bool>().swap(weak_map_name_);
  }

  // Lengauer-Tarjan's semidominators, vertices in decreasing order, with eval/link over a
  // forest compressed on the way (the "simple" version, as DevTools and memlab use).
  // Vertex x is linked to its tree parent once x has been processed, that is when x > w for
  // the w at hand, and its forest ancestor is kept in offset_[x + 1], which is no longer needed
  // then. number_ (by node) becomes semi (by vertex); label reuses nothing.
  void Semidominators() {
    std::vector<uint32_t>& semi = number_;
    for (uint32_t k = 0; k <= n_; k++) semi[k] = k;
    label_.resize(static_cast<size_t>(n_) + 1);
    for (uint32_t k = 0; k <= n_; k++) label_[k] = k;
    std::vector<uint32_t> path;
    for (uint32_t w = n_; w >= 2; w--) {
      const uint32_t begin = offset_[w], end = offset_[w + 1];
      if (w < first_unvisited_) {
        // The tree edge's share: eval(parent) is the parent itself, not linked yet. For the
        // roots of the walks from nodes with only weak retainers, the parent is the root: what
        // DevTools and memlab give a node without retainers.
        semi[w] = parent_[w];
      } else if (begin == end) {
        // Numbered one by one at the end, and no essential retainer: the root retains it.
        semi[w] = 1;
      }
      for (uint32_t p = begin; p < end; p++) {
        uint32_t u = Eval(preds_[p], w, &path);
        if (semi[u] < semi[w]) semi[w] = semi[u];
      }
      offset_[w + 1] = parent_[w];  // link(parent(w), w)
    }
    std::vector<uint32_t>().swap(preds_);
    std::vector<uint32_t>().swap(offset_);
    std::vector<uint32_t>().swap(label_);
  }

  // The vertex of least semidominator on the forest path from v up to (not including) the root
  // of its tree, while w is being processed.
  uint32_t Eval(uint32_t v, uint32_t w, std::vector<uint32_t>* path) {
    if (v <= w) return v;  // not linked yet: a tree of its own
    std::vector<uint32_t>& semi = number_;
    auto ancestor = [this](uint32_t x) -> uint32_t& { return offset_[x + 1]; };
    // Compress the path: collect the linked vertices whose ancestor is also linked.
    path->clear();
    uint32_t x = v;
    while (ancestor(x) > w) {
      path->push_back(x);
      x = ancestor(x);
    }
    for (size_t i = path->size(); i-- > 0;) {
      uint32_t y = (*path)[i];
      uint32_t a = ancestor(y);
      if (semi[label_[a]] < semi[label_[y]]) label_[y] = label_[a];
      ancestor(y) = ancestor(a);
    }
    return label_[v];
  }

  // idom(w) is the nearest common ancestor of parent(w) and sdom(w) in the dominator tree:
  // climb from parent(w) while above sdom(w) (semi-NCA). parent_ becomes idom in place.
  // Vertices numbered one by one at the end have no real tree edge: as in DevTools' and
  // memlab's Lengauer-Tarjan, the root dominates them.
  void ImmediateDominators() {
    const std::vector<uint32_t>& semi = number_;
    std::vector<uint32_t>& idom = parent_;
    idom[1] = 1;
    for (uint32_t w = 2; w <= n_; w++) {
      if (w >= first_unvisited_) {
        idom[w] = 1;
        continue;
      }
      uint32_t x = idom[w];
      while (x > semi[w]) x = idom[x];
      idom[w] = x;
    }
    std::vector<uint32_t>().swap(number_);
  }

  void Retained(DominatorTree* out) {
    const std::vector<uint32_t>& idom = parent_;
    out->retained.resize(n_);
    for (uint32_t v = 0; v < n_; v++) out->retained[v] = g_.SelfSize(v);
    // Children have larger numbers than their dominators: add each into its dominator.
    for (uint32_t k = n_; k >= 2; k--) {
      out->retained[vertex_[idom[k]]] += out->retained[vertex_[k]];
    }
    out->dominator.resize(n_);
    out->dominator[kRoot] = kRoot;
    for (uint32_t k = 2; k <= n_; k++) out->dominator[vertex_[k]] = vertex_[idom[k]];
    out->unreachable = unreachable_;
    std::vector<uint32_t>().swap(parent_);
    std::vector<uint32_t>().swap(vertex_);
  }

  const HeapGraph& g_;
  const DominatorRules rules_;
  const StepProgress& progress_;
  const uint32_t n_;
  std::unordered_map<uint32_t, uint32_t> weak_map_table_;  // string -> table id
  std::vector<bool> weak_map_name_;                        // by string: in weak_map_table_
  std::vector<uint8_t> flags_;                             // by node
  std::vector<uint64_t> essential_;                        // by edge, a bit
  std::vector<uint32_t> number_;  // by node: depth-first number; then semi, by vertex
  std::vector<uint32_t> vertex_;  // by vertex: the node
  std::vector<uint32_t> parent_;  // by vertex: tree parent; then idom
  std::vector<uint32_t> cursor_;  // by vertex, while numbering
  std::vector<uint32_t> offset_;  // by vertex: predecessor lists; then forest ancestors
  std::vector<uint32_t> preds_;   // predecessor vertices
  std::vector<uint32_t> label_;   // by vertex
  uint32_t count_ = 0;
  uint32_t first_unvisited_ = 0;
  uint32_t unreachable_ = 0;
};

}  // namespace

void ComputeDominators(const HeapGraph& graph, DominatorRules rules, const StepProgress& progress,
                       DominatorTree* out) {
  Builder(graph, rules, progress).Run(out);
}

DominatedLists DominatedLists::Of(const std::vector<uint32_t>& dominator) {
  DominatedLists lists;
  const uint32_t n = static_cast<uint32_t>(dominator.size());
  lists.first.assign(static_cast<size_t>(n) + 1, 0);
  for (uint32_t v = 1; v < n; v++) lists.first[dominator[v]]++;
  uint32_t total = 0;
  for (uint32_t v = 0; v <= n; v++) {
    total += lists.first[v];
    lists.first[v] = total;
  }
  lists.nodes.resize(total);
  // Filled backwards so that each list keeps node order.
  for (uint32_t v = n; v-- > 1;) lists.nodes[--lists.first[dominator[v]]] = v;
  return lists;
}

}  // namespace heapwatch
