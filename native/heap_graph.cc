#include "heap_graph.h"

#include <algorithm>

namespace heapwatch {

NodeKind NodeKindNamed(std::string_view name) {
  static constexpr std::pair<std::string_view, NodeKind> kNames[] = {
      {"hidden", NodeKind::kHidden},
      {"array", NodeKind::kArray},
      {"string", NodeKind::kString},
      {"object", NodeKind::kObject},
      {"code", NodeKind::kCode},
      {"closure", NodeKind::kClosure},
      {"regexp", NodeKind::kRegExp},
      {"number", NodeKind::kHeapNumber},
      {"native", NodeKind::kNative},
      {"synthetic", NodeKind::kSynthetic},
      {"concatenated string", NodeKind::kConsString},
      {"sliced string", NodeKind::kSlicedString},
      {"symbol", NodeKind::kSymbol},
      {"bigint", NodeKind::kBigInt},
      {"object shape", NodeKind::kObjectShape},
  };
  for (const auto& [n, kind] : kNames) {
    if (n == name) return kind;
  }
  return NodeKind::kOther;
}

EdgeKind EdgeKindNamed(std::string_view name) {
  static constexpr std::pair<std::string_view, EdgeKind> kNames[] = {
      {"context", EdgeKind::kContext},   {"element", EdgeKind::kElement},
      {"property", EdgeKind::kProperty}, {"internal", EdgeKind::kInternal},
      {"hidden", EdgeKind::kHidden},     {"shortcut", EdgeKind::kShortcut},
      {"weak", EdgeKind::kWeak},
  };
  for (const auto& [n, kind] : kNames) {
    if (n == name) return kind;
  }
  return EdgeKind::kOther;
}

uint32_t HeapGraph::EdgeFrom(uint32_t e) const {
  // The last node whose first edge is at or before e (nodes without edges share offsets).
  auto it = std::upper_bound(first_edge_.begin(), first_edge_.end() - 1, e);
  return static_cast<uint32_t>(it - first_edge_.begin()) - 1;
}

void HeapGraph::Reserve(uint32_t nodes, uint32_t edges) {
  kind_.reserve(nodes);
  name_.reserve(nodes);
  id_.reserve(nodes);
  self_.reserve(nodes);
  first_edge_.reserve(static_cast<size_t>(nodes) + 1);
  edge_to_.reserve(edges);
  edge_meta_.reserve(edges);
}

size_t HeapGraph::ByteSize() const {
  return kind_.capacity() +
         4 * (name_.capacity() + id_.capacity() + self_.capacity() + first_edge_.capacity() +
              edge_to_.capacity() + edge_meta_.capacity() + strings_.start.capacity()) +
         strings_.text.capacity() + 32 * (big_self_.size() + big_edge_name_.size());
}

}  // namespace heapwatch
