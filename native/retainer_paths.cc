#include "retainer_paths.h"

#include <algorithm>
#include <cstdio>

namespace heapwatch {

namespace {

// Labels in retainer paths are cut here: a closure's name can be a whole source line.
constexpr size_t kMaxLabel = 80;

std::string Clip(std::string_view s) {
  if (s.size() <= kMaxLabel) return std::string(s);
  // Cut at a UTF-8 character boundary.
  size_t end = kMaxLabel;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) end--;
  return std::string(s.substr(0, end)) + "...";
}

bool StartsOnStack(const std::string& path) {
  return path.rfind("(GC roots) > (Stack roots)", 0) == 0 ||
         path.rfind("(GC roots) > (Handle scope)", 0) == 0 ||
         path.rfind("(GC roots) > (Identity map)", 0) == 0;
}

}  // namespace

std::string NodeLabel(NodeKind kind, std::string_view name) {
  switch (kind) {
    case NodeKind::kString:
    case NodeKind::kConsString:
    case NodeKind::kSlicedString:
      return "String";
    case NodeKind::kHeapNumber:
      return "Number";
    case NodeKind::kRegExp:
      return "RegExp";
    case NodeKind::kSymbol:
      return "Symbol";
    case NodeKind::kBigInt:
      return "BigInt";
    case NodeKind::kClosure:
      return (name.empty() ? std::string("(anonymous)") : Clip(name)) + "()";
    default:
      if (!name.empty()) return Clip(name);
      if (kind == NodeKind::kArray) return "(internal array)";
      if (kind == NodeKind::kCode) return "(code)";
      return "(system)";
  }
}

std::string EdgeLabel(EdgeKind kind, std::string_view name, uint64_t index) {
  std::string text;
  if (HasStringName(kind)) {
    text = Clip(name);
  } else {
    char digits[32];
    snprintf(digits, sizeof digits, "%llu", static_cast<unsigned long long>(index));
    text = digits;
  }
  switch (kind) {
    case EdgeKind::kContext:
      return text + " (variable)";
    case EdgeKind::kElement:
      return "[" + text + "]";
    case EdgeKind::kProperty:
      return text + " (property)";
    case EdgeKind::kInternal:
      return text + " (internal)";
    case EdgeKind::kHidden:
      return "[" + text + "] (hidden)";
    case EdgeKind::kShortcut:
      return text + " (shortcut)";
    default:
      return text + " (weak)";
  }
}

std::string ShapeOf(std::string_view path) {
  std::string shape;
  for (char c : path) {
    bool digit = c >= '0' && c <= '9';
    if (!digit)
      shape += c;
    else if (shape.empty() || shape.back() != '#')
      shape += '#';
  }
  return shape;
}

std::vector<std::string> PickPaths(std::vector<std::string> paths, size_t count) {
  std::stable_partition(paths.begin(), paths.end(),
                        [](const std::string& path) { return !StartsOnStack(path); });
  std::vector<std::string> picked;
  std::vector<std::string> shapes;
  for (std::string& path : paths) {
    if (picked.size() == count) break;
    std::string shape = ShapeOf(path);
    if (std::find(shapes.begin(), shapes.end(), shape) != shapes.end()) continue;
    shapes.push_back(std::move(shape));
    picked.push_back(std::move(path));
  }
  return picked;
}

}  // namespace heapwatch
