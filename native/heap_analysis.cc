#include "heap_analysis.h"

#include <sys/stat.h>

#include <algorithm>
#include <queue>
#include <unordered_map>

namespace heapwatch {

namespace {

// Reports the reader's bytes as the "parse" step of file `file`.
class ParseProgress : public ReadProgress {
 public:
  ParseProgress(AnalysisProgress* progress, uint32_t file) : progress_(progress), file_(file) {}
  void BytesRead(uint64_t done, uint64_t total) override {
    if (progress_ != nullptr) progress_->Step("parse", file_, done, total);
  }

 private:
  AnalysisProgress* progress_;
  uint32_t file_;
};

bool Read(const std::string& path, uint32_t file, const AnalysisOptions& options,
          AnalysisProgress* progress, HeapGraph* graph, AnalysisError* error) {
  ParseProgress parse(progress, file);
  error->file = file;
  return ReadSnapshotFile(path, graph, &parse, options.max_bytes, &error->read);
}

void Dominators(const HeapGraph& graph, const AnalysisOptions& options, uint32_t file,
                AnalysisProgress* progress, DominatorTree* tree) {
  ComputeDominators(
      graph, options.rules,
      [&](const char*, uint64_t done, uint64_t total) {
        if (progress != nullptr) progress->Step("dominators", file, done, total);
      },
      tree);
}

void Report(AnalysisProgress* progress, uint32_t file) {
  if (progress != nullptr) progress->Step("report", file, 0, 1);
}

FileTotals TotalsOf(const HeapGraph& graph, const DominatorTree* tree) {
  FileTotals totals;
  totals.nodes = graph.node_count();
  totals.edges = graph.edge_count();
  for (uint32_t n = 0; n < graph.node_count(); n++) {
    totals.self_bytes += static_cast<double>(graph.SelfSize(n));
  }
  if (tree != nullptr) totals.unreachable = tree->unreachable;
  return totals;
}

// The name a group goes by in reports (V8's internals are DevTools' "(system)").
std::string GroupName(const GroupNames& names, uint32_t group) {
  return group == GroupNames::kHidden ? "(system)" : names.Name(group);
}

// The group of every node (GroupOf, each object name interned once).
std::vector<uint32_t> GroupsOf(const HeapGraph& graph, GroupNames* names) {
  std::vector<uint32_t> group(graph.node_count());
  std::vector<uint32_t> of_name(graph.strings().count(), UINT32_MAX);
  for (uint32_t n = 0; n < graph.node_count(); n++) {
    NodeKind kind = graph.Kind(n);
    if (kind == NodeKind::kObject && graph.NameIndex(n) < of_name.size()) {
      uint32_t& cached = of_name[graph.NameIndex(n)];
      if (cached == UINT32_MAX) cached = GroupOf(kind, graph.Name(n), names);
      group[n] = cached;
    } else {
      group[n] = GroupOf(kind, graph.Name(n), names);
    }
  }
  return group;
}

// Objects a user can recognise, for the list of largest objects: not V8's internal arrays,
// code, shapes or the synthetic root groups.
bool Shown(NodeKind kind) {
  switch (kind) {
    case NodeKind::kHidden:
    case NodeKind::kArray:
    case NodeKind::kCode:
    case NodeKind::kSynthetic:
    case NodeKind::kObjectShape:
    case NodeKind::kOther:
      return false;
    default:
      return true;
  }
}

class Bits {
 public:
  explicit Bits(size_t n) : words_((n + 63) / 64, 0) {}
  void Set(size_t i) { words_[i >> 6] |= uint64_t{1} << (i & 63); }
  void Clear(size_t i) { words_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }
  bool Test(size_t i) const { return words_[i >> 6] >> (i & 63) & 1; }

 private:
  std::vector<uint64_t> words_;
};

// V8 numbers the heap's objects with odd ids, in the order it first sees them; the embedder's
// nodes (Node.js's C++ objects) get even ids made from their addresses, in no order.
bool Sequential(uint32_t id) {
  return (id & 1) != 0;
}

uint32_t LargestSequential(const HeapSummary& s) {
  for (auto it = s.rows.rbegin(); it != s.rows.rend(); ++it) {
    if (Sequential(it->id)) return it->id;
  }
  return 0;
}

Lineage LineageOf(const HeapSummary& first, const HeapSummary& second) {
  Lineage l;
  const uint32_t first_max = LargestSequential(first);
  const uint32_t second_max = LargestSequential(second);
  auto a = first.rows.begin(), a_end = first.rows.end();
  auto b = second.rows.begin(), b_end = second.rows.end();
  while (a != a_end || b != b_end) {
    if (b == b_end || (a != a_end && a->id < b->id)) {
      if (Sequential(a->id)) {
        l.removed++;
        if (a->id > second_max) l.newer_gone++;
      }
      ++a;
    } else if (a == a_end || b->id < a->id) {
      if (Sequential(b->id)) {
        l.added++;
        if (b->id < first_max) l.older_new++;
      }
      ++b;
    } else {
      l.common++;
      if (a->group != b->group) l.mismatched++;
      ++a;
      ++b;
    }
  }
  // Within one process an id names one object for its whole life, and new objects get ids
  // above every earlier one. Thresholds leave room for the odd object whose constructor name
  // changes (a prototype swapped) and for ids V8 skips.
  auto share = [](double part, double whole) { return whole > 0 ? part / whole : 0; };
  if (l.mismatched > 10 && share(l.mismatched, l.common) > 0.01) {
    l.verdict = "other-process";
  } else if (l.older_new > 10 && share(l.older_new, l.added) > 0.5 && l.newer_gone > 10 &&
             share(l.newer_gone, l.removed) > 0.5) {
    l.verdict = "reversed";
  } else if (l.older_new > 100 && share(l.older_new, l.added) > 0.05) {
    l.verdict = "other-process";
  } else if (l.common == 0 && l.added > 0 && l.removed > 0) {
    l.verdict = "other-process";
  }
  return l;
}

double ModifiedMs(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
#ifdef __APPLE__
  return static_cast<double>(st.st_mtimespec.tv_sec) * 1e3 + st.st_mtimespec.tv_nsec / 1e6;
#elif defined(_WIN32)
  return static_cast<double>(st.st_mtime) * 1e3;
#else
  return static_cast<double>(st.st_mtim.tv_sec) * 1e3 + st.st_mtim.tv_nsec / 1e6;
#endif
}

// The table of a file (its graph freed at once), for diffs.
bool SummaryOfFile(const std::string& path, uint32_t file, const AnalysisOptions& options,
                   AnalysisProgress* progress, GroupNames* names, HeapSummary* out,
                   AnalysisError* error, HeapGraph* keep = nullptr) {
  HeapGraph local;
  HeapGraph* graph = keep != nullptr ? keep : &local;
  if (!Read(path, file, options, progress, graph, error)) return false;
  SummaryOfGraph(*graph, names, out);
  out->time_ms = ModifiedMs(path);
  return true;
}

std::vector<uint32_t> IdsOnlyIn(const HeapSummary& in, const HeapSummary& not_in) {
  std::vector<uint32_t> ids;
  auto b = not_in.rows.begin();
  for (const SummaryRow& row : in.rows) {
    while (b != not_in.rows.end() && b->id < row.id) ++b;
    if (b == not_in.rows.end() || b->id != row.id) ids.push_back(row.id);
  }
  return ids;
}

}  // namespace

bool Summarize(const std::string& path, const AnalysisOptions& options, AnalysisProgress* progress,
               SummaryReport* out, AnalysisError* error) {
  HeapGraph graph;
  if (!Read(path, 0, options, progress, &graph, error)) return false;
  DominatorTree tree;
  Dominators(graph, options, 0, progress, &tree);
  Report(progress, 0);
  out->totals = TotalsOf(graph, &tree);
  const uint32_t n = graph.node_count();
  if (n == 0) return true;

  GroupNames names;
  std::vector<uint32_t> group = GroupsOf(graph, &names);
  std::vector<GroupRow> rows(names.size());
  for (uint32_t v = 0; v < n; v++) {
    rows[group[v]].count++;
    rows[group[v]].self_bytes += static_cast<double>(graph.SelfSize(v));
  }

  // A group's retained size: its objects that no object of the group dominates (DevTools'
  // rule, which counts only objects with a self size).
  {
    DominatedLists lists = DominatedLists::Of(tree.dominator);
    std::vector<uint32_t>().swap(tree.dominator);
    std::vector<uint32_t> inside(names.size(), 0);
    Bits counted(n);
    WalkDominatorTree(
        lists,
        [&](uint32_t v) {
          uint32_t g = group[v];
          if (inside[g] == 0 && graph.SelfSize(v) != 0) {
            rows[g].retained_bytes += static_cast<double>(tree.retained[v]);
            inside[g]++;
            counted.Set(v);
          }
        },
        [&](uint32_t v) {
          if (counted.Test(v)) inside[group[v]]--;
        });
  }

  // The largest objects by retained size: a heap of the best `top` so far.
  using Entry = std::pair<uint64_t, uint32_t>;  // (retained, node)
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> best;
  for (uint32_t v = 1; v < n && options.top > 0; v++) {
    if (!Shown(graph.Kind(v))) continue;
    Entry e{tree.retained[v], v};
    if (best.size() < options.top) {
      best.push(e);
    } else if (e > best.top()) {
      best.pop();
      best.push(e);
    }
  }
  std::vector<uint32_t> largest;
  while (!best.empty()) {
    largest.push_back(best.top().second);
    best.pop();
  }
  std::reverse(largest.begin(), largest.end());

  if (!largest.empty()) {
    Bits wanted(n);
    for (uint32_t v : largest) wanted.Set(v);
    size_t left = largest.size();
    HeapGraphPaths adapter(graph);
    RetainerSearch<HeapGraphPaths> search(adapter);
    search.Run(
        [&](uint32_t v) {
          if (wanted.Test(v)) left--;
          return left > 0;
        },
        [](uint32_t) { return false; });
    for (uint32_t v : largest) {
      ObjectRow row;
      row.id = graph.Id(v);
      row.what = GroupName(names, group[v]);
      row.name = NodeLabel(graph.Kind(v), graph.Name(v));
      row.self_bytes = static_cast<double>(graph.SelfSize(v));
      row.retained_bytes = static_cast<double>(tree.retained[v]);
      row.path = search.Reached(v) ? search.PathTo(v) : "(not reached from the root)";
      out->largest.push_back(std::move(row));
    }
  }

  for (uint32_t g = 0; g < rows.size(); g++) {
    if (rows[g].count == 0 || g == GroupNames::kOwn) continue;
    rows[g].what = GroupName(names, g);
    out->groups.push_back(std::move(rows[g]));
  }
  std::sort(out->groups.begin(), out->groups.end(), [](const GroupRow& a, const GroupRow& b) {
    if (a.retained_bytes != b.retained_bytes) return a.retained_bytes > b.retained_bytes;
    return a.what < b.what;
  });
  return true;
}

bool DiffFiles(const std::string& before, const std::string& after, const AnalysisOptions& options,
               AnalysisProgress* progress, DiffReport* out, AnalysisError* error) {
  if (!SummaryOfFile(before, 0, options, progress, &out->names, &out->before, error)) return false;
  // The second graph stays until its retainer paths are found.
  HeapGraph graph;
  if (!SummaryOfFile(after, 1, options, progress, &out->names, &out->after, error, &graph)) {
    return false;
  }
  Report(progress, 1);
  out->lineage = LineageOf(out->before, out->after);
  if (std::string_view(out->lineage.verdict) != "same") return true;
  out->diff = DiffSummaries(&out->before, &out->after, out->names.size());
  if (options.retainers > 0) {
    out->targets = GrowthTargets(out->diff, out->names, options.retainers);
    HeapGraphPaths adapter(graph);
    out->paths = FindRetainerPaths(adapter, out->names, out->before, out->after, out->targets,
                                   kRetainerSamples);
  }
  out->before.rows = {};
  out->after.rows = {};
  return true;
}

bool FindLeaks(const std::string& a, const std::string& b, const std::string& c,
               const AnalysisOptions& options, AnalysisProgress* progress, LeaksReport* out,
               AnalysisError* error) {
  GroupNames names;
  HeapSummary first, second, third;
  if (!SummaryOfFile(a, 0, options, progress, &names, &first, error)) return false;
  if (!SummaryOfFile(b, 1, options, progress, &names, &second, error)) return false;
  out->lineage[0] = LineageOf(first, second);
  // Made between the first and the second snapshot.
  std::vector<uint32_t> made = IdsOnlyIn(second, first);
  first = HeapSummary();

  HeapGraph graph;
  if (!SummaryOfFile(c, 2, options, progress, &names, &third, error, &graph)) return false;
  out->lineage[1] = LineageOf(second, third);
  if (std::string_view(out->lineage[0].verdict) != "same" ||
      std::string_view(out->lineage[1].verdict) != "same") {
    return true;
  }
  // Made after the second snapshot (and alive in the third).
  std::vector<uint32_t> later = IdsOnlyIn(third, second);
  second = HeapSummary();
  third = HeapSummary();

  const uint32_t n = graph.node_count();
  // 1: made between the first two and alive now; 2: made after the second.
  std::vector<uint8_t> mark(n, 0);
  for (uint32_t v = 0; v < n; v++) {
    uint32_t id = graph.Id(v);
    if (std::binary_search(made.begin(), made.end(), id)) {
      mark[v] = 1;
      out->candidates++;
    } else if (std::binary_search(later.begin(), later.end(), id)) {
      mark[v] = 2;
    }
  }
  std::vector<uint32_t>().swap(made);
  std::vector<uint32_t>().swap(later);

  DominatorTree tree;
  Dominators(graph, options, 2, progress, &tree);
  Report(progress, 2);
  out->totals = TotalsOf(graph, &tree);

  // The leaked objects: the outermost of those made between the first two snapshots, that is
  // those that no other such object dominates (a leaked Session, not the strings it holds).
  // V8's internal arrays do not count as holders: a Map's table is not the leak, its entries are.
  std::vector<uint32_t> leaked, grown;
  {
    DominatedLists lists = DominatedLists::Of(tree.dominator);
    std::vector<uint32_t>().swap(tree.dominator);
    uint32_t inside = 0;
    auto holds = [&](uint32_t v) { return mark[v] == 1 && Shown(graph.Kind(v)); };
    WalkDominatorTree(
        lists,
        [&](uint32_t v) {
          if (!holds(v)) return;
          if (inside == 0) leaked.push_back(v);
          inside++;
        },
        [&](uint32_t v) {
          if (holds(v)) inside--;
        });
  }
  for (uint32_t v = 0; v < n; v++) {
    if (mark[v] == 2 && Shown(graph.Kind(v))) grown.push_back(v);
  }
  std::vector<uint8_t>().swap(mark);

  HeapGraphPaths adapter(graph);
  RetainerSearch<HeapGraphPaths> search(adapter);
  search.Run([](uint32_t) { return true; }, [](uint32_t) { return false; });
  auto group_of = [&](uint32_t v) { return GroupOf(graph.Kind(v), graph.Name(v), &names); };

  // Group by the shape of the retainer path (numbers blanked: map slots, array indices).
  std::unordered_map<std::string, size_t> by_shape;
  std::vector<LeakGroup> groups;
  std::vector<bool> leaked_group(names.size(), false);
  for (uint32_t v : leaked) {
    std::string path = search.Reached(v) ? search.PathTo(v) : "(not reached from the root)";
    std::string shape = ShapeOf(path);
    auto [it, added] = by_shape.emplace(std::move(shape), groups.size());
    if (added) {
      LeakGroup g;
      g.path = std::move(path);
      uint32_t what = group_of(v);
      g.what = GroupName(names, what);
      if (what >= leaked_group.size()) leaked_group.resize(what + 1, false);
      leaked_group[what] = true;
      groups.push_back(std::move(g));
    }
    LeakGroup& g = groups[it->second];
    g.count++;
    g.retained_bytes += static_cast<double>(tree.retained[v]);
  }
  // Still growing: objects made after the second snapshot on the same path. Only objects of
  // the leaked groups can share a path with a leaked object, so only their paths are made.
  for (uint32_t v : grown) {
    uint32_t what = group_of(v);
    if (what >= leaked_group.size() || !leaked_group[what] || !search.Reached(v)) continue;
    auto it = by_shape.find(ShapeOf(search.PathTo(v)));
    if (it != by_shape.end()) groups[it->second].later++;
  }
  // What stopped growing after the second snapshot (a cache that filled once) is not a leak.
  for (LeakGroup& g : groups) {
    if (g.later > 0) {
      out->groups.push_back(std::move(g));
    } else {
      out->settled_groups++;
      out->settled_count += g.count;
      out->settled_bytes += g.retained_bytes;
    }
  }
  std::sort(out->groups.begin(), out->groups.end(), [](const LeakGroup& x, const LeakGroup& y) {
    if (x.retained_bytes != y.retained_bytes) return x.retained_bytes > y.retained_bytes;
    return x.count > y.count;
  });
  if (out->groups.size() > options.top) out->groups.resize(options.top);
  return true;
}

}  // namespace heapwatch
