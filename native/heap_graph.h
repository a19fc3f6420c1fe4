// A heap snapshot file's graph, held as compact tables: one array per field (structure of
// arrays), 32-bit node and edge indices, and only the strings that a report can show.
//
// Budget (bench/README.md, "Snapshot analysis"): 17 bytes per node and 8 per edge here, so that
// the dominator tree (dominator_tree.h) fits beside it within 40 bytes per node and 12 per edge.
//
// Thread: built by the snapshot reader and then read, on one worker thread; no V8, no N-API.
// Lifetime: one analysis (heap_analysis.h); destroyed as soon as its report is made.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace heapwatch {

// Node kinds, numbered as v8::HeapGraphNode::Type, so that the in-process HeapDiff and the file
// reader put a node in the same group (heap_summary.h). Files name their kinds in
// snapshot.meta.node_types; a name this table does not know becomes kOther.
enum class NodeKind : uint8_t {
  kHidden = 0,
  kArray,
  kString,
  kObject,
  kCode,
  kClosure,
  kRegExp,
  kHeapNumber,
  kNative,
  kSynthetic,
  kConsString,
  kSlicedString,
  kSymbol,
  kBigInt,
  kObjectShape,
  kOther,
};

// Edge kinds, numbered as v8::HeapGraphEdge::Type; kOther for names this table does not know.
enum class EdgeKind : uint8_t {
  kContext = 0,
  kElement,
  kProperty,
  kInternal,
  kHidden,
  kShortcut,
  kWeak,
  kOther,
};

// The kind a snapshot's meta calls `name` ("concatenated string" -> kConsString).
NodeKind NodeKindNamed(std::string_view name);
EdgeKind EdgeKindNamed(std::string_view name);

// Element and hidden edges are named by an index; the others by a string (DevTools' rule).
inline bool HasStringName(EdgeKind kind) {
  return kind != EdgeKind::kElement && kind != EdgeKind::kHidden;
}

// Strings are decoded only when some node or edge that a report can show is named by them (the
// contents of string nodes, most of a snapshot's strings, are skipped). `text` holds the kept
// ones back to back; string i is text[start[i], start[i + 1]).
struct StringTable {
  std::vector<char> text;
  std::vector<uint32_t> start;  // count + 1 offsets

  uint32_t count() const { return start.empty() ? 0 : static_cast<uint32_t>(start.size() - 1); }
  std::string_view Get(uint32_t i) const {
    if (i >= count()) return {};
    return std::string_view(text.data() + start[i], start[i + 1] - start[i]);
  }
};

class HeapGraph {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  uint32_t node_count() const { return static_cast<uint32_t>(kind_.size()); }
  uint32_t edge_count() const { return static_cast<uint32_t>(edge_to_.size()); }

  NodeKind Kind(uint32_t n) const { return static_cast<NodeKind>(kind_[n]); }
  uint32_t Id(uint32_t n) const { return id_[n]; }
  uint32_t NameIndex(uint32_t n) const { return name_[n]; }
  std::string_view Name(uint32_t n) const { return strings_.Get(name_[n]); }
  uint64_t SelfSize(uint32_t n) const {
    uint32_t s = self_[n];
    return s == kBigSelf ? big_self_.at(n) : s;
  }

  // Edges of node n are [FirstEdge(n), FirstEdge(n + 1)), in file order.
  uint32_t FirstEdge(uint32_t n) const { return first_edge_[n]; }
  uint32_t EdgeTo(uint32_t e) const { return edge_to_[e]; }
  EdgeKind EdgeKindOf(uint32_t e) const { return static_cast<EdgeKind>(edge_meta_[e] >> 29); }
  // The index of an element/hidden edge, or the string index of the others' name.
  uint64_t EdgeNameOrIndex(uint32_t e) const {
    uint32_t v = edge_meta_[e] & kNameMask;
    return v == kNameMask ? big_edge_name_.at(e) : v;
  }
  std::string_view EdgeName(uint32_t e) const {
    return HasStringName(EdgeKindOf(e)) ? strings_.Get(static_cast<uint32_t>(EdgeNameOrIndex(e)))
                                        : std::string_view();
  }
  // The node whose edge e is (binary search; for rendering paths).
  uint32_t EdgeFrom(uint32_t e) const;

  const StringTable& strings() const { return strings_; }
  // Bytes of memory the tables hold.
  size_t ByteSize() const;

  // Building, for the reader. Reserve() before adding: sizes come from the snapshot's header,
  // checked against the file's size and the memory available (snapshot_reader.h) first.
  void Reserve(uint32_t nodes, uint32_t edges);
  void AddNode(NodeKind kind, uint32_t name, uint32_t id, uint64_t self_size, uint32_t first_edge) {
    uint32_t n = static_cast<uint32_t>(kind_.size());
    kind_.push_back(static_cast<uint8_t>(kind));
    name_.push_back(name);
    id_.push_back(id);
    if (self_size >= kBigSelf) {
      big_self_[n] = self_size;
      self_size = kBigSelf;
    }
    self_.push_back(static_cast<uint32_t>(self_size));
    first_edge_.push_back(first_edge);
  }
  void FinishNodes(uint32_t total_edges) { first_edge_.push_back(total_edges); }
  void AddEdge(EdgeKind kind, uint64_t name_or_index, uint32_t to) {
    uint32_t e = static_cast<uint32_t>(edge_to_.size());
    if (name_or_index >= kNameMask) {
      big_edge_name_[e] = name_or_index;
      name_or_index = kNameMask;
    }
    edge_meta_.push_back(static_cast<uint32_t>(kind) << 29 | static_cast<uint32_t>(name_or_index));
    edge_to_.push_back(to);
  }
  StringTable* mutable_strings() { return &strings_; }

 private:
  // Values at or above these sentinels live in the side tables (rare: a native node of 4 GiB,
  // an element index above 2^29).
  static constexpr uint32_t kBigSelf = UINT32_MAX;
  static constexpr uint32_t kNameMask = (1u << 29) - 1;

  std::vector<uint8_t> kind_;
  std::vector<uint32_t> name_;
  std::vector<uint32_t> id_;
  std::vector<uint32_t> self_;
  std::vector<uint32_t> first_edge_;  // node_count + 1
  std::vector<uint32_t> edge_to_;     // node ordinals
  std::vector<uint32_t> edge_meta_;   // kind << 29 | name or index
  std::unordered_map<uint32_t, uint64_t> big_self_;
  std::unordered_map<uint32_t, uint64_t> big_edge_name_;
  StringTable strings_;
};

}  // namespace heapwatch
