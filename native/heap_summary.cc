#include "heap_summary.h"

#include <algorithm>
#include <chrono>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace heapwatch {

namespace {

using Node = v8::HeapGraphNode;
using Edge = v8::HeapGraphEdge;

// Name handles are released after this many nodes: one HandleScope per node costs more, one
// for the whole walk would keep millions of handles alive.
constexpr int kBatch = 4096;

double NowMs() {
  using namespace std::chrono;
  return static_cast<double>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

// The string's UTF-8 bytes in `buf`. V8 12.x (Node 24) replaced the sized writers.
std::string_view Utf8(v8::Isolate* isolate, v8::Local<v8::String> s, std::string* buf) {
#if NODE_MAJOR_VERSION >= 24
  buf->resize(s->Utf8LengthV2(isolate));
  buf->resize(s->WriteUtf8V2(isolate, buf->data(), buf->size()));
#else
  buf->resize(static_cast<size_t>(s->Utf8Length(isolate)));
  int written = s->WriteUtf8(isolate, buf->data(), static_cast<int>(buf->size()), nullptr,
                             v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  buf->resize(static_cast<size_t>(written));
#endif
  return *buf;
}

// The group of a live snapshot's node. GetName() makes (and internalizes) a V8 string, so it is
// called only for objects, whose group is their constructor's name.
uint32_t GroupOfNode(v8::Isolate* isolate, const Node* node, GroupNames* names, std::string* buf) {
  NodeKind kind = KindFromV8(node->GetType());
  if (kind != NodeKind::kObject) return GroupOf(kind, {}, names);
  return GroupOf(kind, Utf8(isolate, node->GetName(), buf), names);
}

// Open addressing from snapshot id to a 32-bit value. V8 never gives a node id 0
// (HeapProfiler::kUnknownObjectId), so 0 marks an empty slot.
class IdMap {
 public:
  explicit IdMap(size_t expected) {
    bits_ = 4;
    while ((size_t{1} << bits_) < expected * 2) bits_++;
    keys_.assign(size_t{1} << bits_, 0);
    values_.resize(keys_.size());
  }

  void Insert(uint32_t id, uint32_t value) {
    size_t i = Probe(id);
    keys_[i] = id;
    values_[i] = value;
  }

  uint32_t Find(uint32_t id) const {
    size_t i = Probe(id);
    return keys_[i] == 0 ? UINT32_MAX : values_[i];
  }

 private:
  // The slot holding `id`, or the empty one where it would go. Fibonacci hashing spreads the
  // nearly consecutive ids V8 hands out.
  size_t Probe(uint32_t id) const {
    size_t mask = keys_.size() - 1;
    size_t i = static_cast<size_t>((uint64_t{id} * 0x9E3779B97F4A7C15ull) >> (64 - bits_));
    while (keys_[i] != id && keys_[i] != 0) i = (i + 1) & mask;
    return i;
  }
  int bits_;
  std::vector<uint32_t> keys_;
  std::vector<uint32_t> values_;
};

// A live v8::HeapSnapshot seen through RetainerSearch's adapter: nodes by their index in the
// snapshot. Thread: the JS thread, inside the caller's HandleScope.
class V8SnapshotPaths {
 public:
  V8SnapshotPaths(v8::Isolate* isolate, const v8::HeapSnapshot* snapshot)
      : isolate_(isolate),
        nodes_(static_cast<size_t>(snapshot->GetNodesCount())),
        index_(nodes_.size()) {
    for (uint32_t i = 0; i < nodes_.size(); i++) {
      nodes_[i] = snapshot->GetNode(static_cast<int>(i));
      index_.Insert(nodes_[i]->GetId(), i);
    }
    root_ = index_.Find(snapshot->GetRoot()->GetId());
  }
  uint32_t NodeCount() const { return static_cast<uint32_t>(nodes_.size()); }
  uint32_t Root() const { return root_; }
  uint32_t Id(uint32_t n) const { return nodes_[n]->GetId(); }
  NodeKind Kind(uint32_t n) const { return KindFromV8(nodes_[n]->GetType()); }
  std::string_view Name(uint32_t n) const {
    v8::HandleScope scope(isolate_);
    return Utf8(isolate_, nodes_[n]->GetName(), &buf_);
  }
  uint32_t ChildCount(uint32_t n) const {
    return static_cast<uint32_t>(nodes_[n]->GetChildrenCount());
  }
  EdgeKind ChildKind(uint32_t n, uint32_t k) const {
    return EdgeKindFromV8(nodes_[n]->GetChild(static_cast<int>(k))->GetType());
  }
  uint32_t ChildTo(uint32_t n, uint32_t k) const {
    return index_.Find(nodes_[n]->GetChild(static_cast<int>(k))->GetToNode()->GetId());
  }
  std::string ChildLabel(uint32_t n, uint32_t k) const {
    v8::HandleScope scope(isolate_);
    const Edge* edge = nodes_[n]->GetChild(static_cast<int>(k));
    v8::Local<v8::Value> name = edge->GetName();
    EdgeKind kind = EdgeKindFromV8(edge->GetType());
    if (name->IsString()) return EdgeLabel(kind, Utf8(isolate_, name.As<v8::String>(), &buf_), 0);
    double index = name->IsNumber() ? name.As<v8::Number>()->Value() : 0;
    return EdgeLabel(kind, {}, index > 0 ? static_cast<uint64_t>(index) : 0);
  }

 private:
  v8::Isolate* isolate_;
  std::vector<const Node*> nodes_;
  IdMap index_;
  uint32_t root_;
  mutable std::string buf_;
};

// A HeapDiff's handle (the External in its #handle field, src/heap-diff.ts) is HeapDiff's own
// too; memwatch left out whatever was reachable only through a HeapDiff.
void AddOwnHandle(v8::Isolate* isolate, const Node* heap_diff, std::vector<uint32_t>* own,
                  std::string* buf) {
  const int children = heap_diff->GetChildrenCount();
  for (int e = 0; e < children; e++) {
    const Edge* edge = heap_diff->GetChild(e);
    v8::Local<v8::Value> name = edge->GetName();
    if (name->IsString() && Utf8(isolate, name.As<v8::String>(), buf) == "#handle") {
      own->push_back(edge->GetToNode()->GetId());
    }
  }
}

// The arrays V8 makes for one piece of optimized code's deoptimization data (Node 22: the
// translation and the literals; 24 and 26: those, the protected literals and a function wrapper).
// Its other children are shared: the Map, the functions inlined. (An empty TrustedByteArray they
// all share is left out too; it is never freed, so no diff changes by it.)
bool DeoptimizationPart(std::string_view name) {
  return name == "(code deopt data)" || name == "system / WeakFixedArray" ||
         name == "system / TrustedByteArray" || name == "system / TrustedWeakFixedArray" ||
         name == "system / ProtectedFixedArray" || name == "system / SharedFunctionInfoWrapper";
}

// V8's machine code for a function (V8 12 on: Node 22 and later): a Code object, whose first edge
// is its instruction stream, whose first edge leads back to it. V8 compiles it when it chooses, on
// Node 24 and 26 on a background thread, and installs it at any moment, between a diff's two
// snapshots too; it says nothing of what the program allocated. So both readers leave it out like
// HeapDiff's own objects: the Code object, its instruction stream and the parts only they hold
// (offset and position tables, deoptimization data and its arrays, relocation info, the
// CodeWrapper). The function's BytecodeArray, the Maps and the objects embedded in the code are
// shared and stay. Builtins (no instruction stream edge) and the functions themselves stay too.
// So does a stream a background thread has allocated and not yet finished: a nameless code node
// holding only its map and its relocation info, left out with the latter.
//
// View: the snapshot's nodes as N (Kind, Id, Name, ChildCount, ChildKind, ChildName, ChildTo).
// Only the first edges of each code node are read until one matches: no strings for the others.
template <class View, class N>
void AddMachineCode(const View& v, N code, std::vector<uint32_t>* out) {
  if (v.ChildCount(code) == 0 || v.ChildKind(code, 0) != EdgeKind::kInternal) return;
  if (v.ChildCount(code) == 2 && v.ChildKind(code, 1) == EdgeKind::kHidden &&
      v.Name(code).empty() && v.ChildName(code, 0) == "map" &&
      v.Name(v.ChildTo(code, 1)) == "system / TrustedByteArray") {
    out->push_back(v.Id(code));  // an unfinished instruction stream
    out->push_back(v.Id(v.ChildTo(code, 1)));
    return;
  }
  N stream = v.ChildTo(code, 0);
  if (v.Kind(stream) != NodeKind::kCode || v.ChildCount(stream) == 0 ||
      v.ChildKind(stream, 0) != EdgeKind::kInternal || v.ChildTo(stream, 0) != code ||
      v.ChildName(code, 0) != "instruction_stream") {
    return;
  }
  out->push_back(v.Id(code));
  out->push_back(v.Id(stream));
  for (uint32_t k = 1; k < v.ChildCount(code); k++) {
    EdgeKind kind = v.ChildKind(code, k);
    N to = v.ChildTo(code, k);
    if (kind == EdgeKind::kHidden) {
      if (v.Name(to) == "system / CodeWrapper") out->push_back(v.Id(to));
      continue;
    }
    if (kind != EdgeKind::kInternal) continue;
    std::string_view name = v.ChildName(code, k);
    if (name == "bytecode_offset_table" || name == "source_position_table") {
      out->push_back(v.Id(to));
    } else if (name == "deoptimization_data") {
      out->push_back(v.Id(to));
      for (uint32_t j = 0; j < v.ChildCount(to); j++) {
        if (v.ChildKind(to, j) == EdgeKind::kHidden &&
            DeoptimizationPart(v.Name(v.ChildTo(to, j)))) {
          out->push_back(v.Id(v.ChildTo(to, j)));
        }
      }
    }
  }
  for (uint32_t k = 1; k < v.ChildCount(stream); k++) {
    if (v.ChildKind(stream, k) == EdgeKind::kInternal &&
        v.ChildName(stream, k) == "relocation_info") {
      out->push_back(v.Id(v.ChildTo(stream, k)));
    }
  }
}

// A live snapshot's nodes for AddMachineCode, by pointer: V8SnapshotPaths (above) answers the same
// questions by index, but builds an id index of the whole snapshot first, which the reader does
// not need. Inside the caller's HandleScope.
class LiveView {
 public:
  explicit LiveView(v8::Isolate* isolate) : isolate_(isolate) {}
  NodeKind Kind(const Node* n) const { return KindFromV8(n->GetType()); }
  uint32_t Id(const Node* n) const { return n->GetId(); }
  std::string_view Name(const Node* n) const { return Utf8(isolate_, n->GetName(), &buf_); }
  uint32_t ChildCount(const Node* n) const { return static_cast<uint32_t>(n->GetChildrenCount()); }
  EdgeKind ChildKind(const Node* n, uint32_t k) const {
    return EdgeKindFromV8(n->GetChild(static_cast<int>(k))->GetType());
  }
  const Node* ChildTo(const Node* n, uint32_t k) const {
    return n->GetChild(static_cast<int>(k))->GetToNode();
  }
  std::string_view ChildName(const Node* n, uint32_t k) const {
    v8::Local<v8::Value> name = n->GetChild(static_cast<int>(k))->GetName();
    return name->IsString() ? Utf8(isolate_, name.As<v8::String>(), &buf_) : std::string_view();
  }

 private:
  v8::Isolate* isolate_;
  mutable std::string buf_;
};

// Takes the rows whose id `ids` (sorted) names out of the table and its total.
void DropRows(const std::vector<uint32_t>& ids, HeapSummary* out) {
  if (ids.empty()) return;
  auto dropped = [&ids](const SummaryRow& row) {
    return std::binary_search(ids.begin(), ids.end(), row.id);
  };
  for (const SummaryRow& row : out->rows) {
    if (dropped(row)) out->size_bytes -= row.self_size;
  }
  out->rows.erase(std::remove_if(out->rows.begin(), out->rows.end(), dropped), out->rows.end());
}

// Both readers end alike: what `left_out` names out of the rows and the totals, rows by id.
void FinishSummary(HeapSummary* out) {
  std::sort(out->left_out.begin(), out->left_out.end());
  // What is left out may have been read before what names it: drop it now.
  DropRows(out->left_out, out);
  std::sort(out->rows.begin(), out->rows.end(),
            [](const SummaryRow& a, const SummaryRow& b) { return a.id < b.id; });
}

}  // namespace

GroupNames::GroupNames() {
  // Same order as the Fixed enum.
  static const char* const fixed[] = {"(hidden)", "HeapDiff", "Array",  "String",
                                      "Code",     "Closure",  "RegExp", "Number",
                                      "Native",   "Symbol",   "BigInt"};
  static_assert(sizeof fixed / sizeof fixed[0] == kFixedCount);
  for (const char* name : fixed) Intern(name);
}

uint32_t GroupNames::Intern(std::string_view name) {
  auto it = index_.find(name);
  if (it != index_.end()) return it->second;
  uint32_t id = size();
  auto [inserted, ok] = index_.emplace(std::string(name), id);
  names_.push_back(&inserted->first);
  return id;
}

size_t GroupNames::ByteSize() const {
  size_t bytes =
      sizeof(*this) + names_.capacity() * sizeof(names_[0]) + index_.bucket_count() * sizeof(void*);
  // Each map node holds the pair and a next pointer; long names live on the heap.
  for (const auto& [name, id] : index_) {
    bytes += sizeof(std::pair<const std::string, uint32_t>) + 2 * sizeof(void*);
    if (name.size() >= sizeof(std::string)) bytes += name.capacity() + 1;
  }
  return bytes;
}

uint32_t GroupOf(NodeKind kind, std::string_view name, GroupNames* names) {
  switch (kind) {
    case NodeKind::kObject:
      return names->Intern(name);
    case NodeKind::kArray:
      return GroupNames::kArray;
    case NodeKind::kString:
    case NodeKind::kConsString:
    case NodeKind::kSlicedString:
      return GroupNames::kString;
    case NodeKind::kCode:
      return GroupNames::kCode;
    case NodeKind::kClosure:
      return GroupNames::kClosure;
    case NodeKind::kRegExp:
      return GroupNames::kRegExp;
    case NodeKind::kHeapNumber:
      return GroupNames::kNumber;
    case NodeKind::kNative:
      return GroupNames::kNative;
    case NodeKind::kSymbol:
      return GroupNames::kSymbol;
    case NodeKind::kBigInt:
      return GroupNames::kBigInt;
    default:
      // kHidden, kSynthetic, kObjectShape and whatever later V8s add.
      return GroupNames::kHidden;
  }
}

void SummaryOfGraph(const HeapGraph& graph, GroupNames* names, HeapSummary* out) {
  const uint32_t count = graph.node_count();
  out->nodes = count;
  out->rows.clear();
  out->left_out.clear();
  out->rows.reserve(count);
  out->size_bytes = 0;
  // Objects share a few thousand names: intern each name once.
  std::vector<uint32_t> group_of_name(graph.strings().count(), UINT32_MAX);
  HeapGraphPaths view(graph);  // retainer_paths.h: the file graph's adapter
  for (uint32_t n = 0; n < count; n++) {
    NodeKind kind = graph.Kind(n);
    uint32_t group;
    if (kind == NodeKind::kObject && graph.NameIndex(n) < group_of_name.size()) {
      uint32_t& cached = group_of_name[graph.NameIndex(n)];
      if (cached == UINT32_MAX) cached = GroupOf(kind, graph.Name(n), names);
      group = cached;
    } else {
      group = GroupOf(kind, graph.Name(n), names);
    }
    if (group == GroupNames::kOwn) {
      out->left_out.push_back(graph.Id(n));
      for (uint32_t e = graph.FirstEdge(n); e < graph.FirstEdge(n + 1); e++) {
        if (HasStringName(graph.EdgeKindOf(e)) && graph.EdgeName(e) == "#handle") {
          out->left_out.push_back(graph.Id(graph.EdgeTo(e)));
        }
      }
      continue;
    }
    if (group == GroupNames::kCode) AddMachineCode(view, n, &out->left_out);
    uint64_t size = graph.SelfSize(n);
    out->rows.push_back({graph.Id(n), group, size});
    out->size_bytes += size;
  }
  FinishSummary(out);
}

std::vector<uint32_t> GrowthTargets(const SummaryDiff& diff, const GroupNames& names,
                                    size_t count) {
  std::vector<uint32_t> targets;
  for (uint32_t g = 0; g < diff.groups.size(); g++) {
    const GroupChange& c = diff.groups[g];
    if (GroupNames::Listed(g) && c.allocated > 0 && (c.size_bytes > 0 || c.allocated > c.freed)) {
      targets.push_back(g);
    }
  }
  std::sort(targets.begin(), targets.end(), [&](uint32_t x, uint32_t y) {
    const GroupChange& a = diff.groups[x];
    const GroupChange& b = diff.groups[y];
    if (a.size_bytes != b.size_bytes) return a.size_bytes > b.size_bytes;
    int64_t na = static_cast<int64_t>(a.allocated - a.freed);
    int64_t nb = static_cast<int64_t>(b.allocated - b.freed);
    if (na != nb) return na > nb;
    return names.Name(x) < names.Name(y);
  });
  if (targets.size() > count) targets.resize(count);
  return targets;
}

ScopedSnapshot::ScopedSnapshot(Environment* env) {
  v8::Isolate* isolate = env->isolate();
  v8::HandleScope scope(isolate);
  OwnSnapshotScope own(env);
  snapshot_ = isolate->GetHeapProfiler()->TakeHeapSnapshot();
}

ScopedSnapshot::~ScopedSnapshot() {
  if (snapshot_ != nullptr) const_cast<v8::HeapSnapshot*>(snapshot_)->Delete();
#ifdef __GLIBC__
  // The snapshot was millions of small allocations; glibc keeps freed memory in its arenas
  // unless asked, and the point of the table is that the process does not hold that memory.
  malloc_trim(0);
#endif
}

void ReadSummary(v8::Isolate* isolate, const v8::HeapSnapshot* snapshot, GroupNames* names,
                 HeapSummary* out) {
  const int count = snapshot->GetNodesCount();
  out->nodes = count;
  out->rows.clear();
  out->left_out.clear();
  out->rows.reserve(static_cast<size_t>(count));
  out->size_bytes = 0;
  std::string buf;
  LiveView view(isolate);
  for (int start = 0; start < count; start += kBatch) {
    v8::HandleScope scope(isolate);
    const int end = std::min(count, start + kBatch);
    for (int i = start; i < end; i++) {
      const Node* node = snapshot->GetNode(i);
      uint32_t group = GroupOfNode(isolate, node, names, &buf);
      if (group == GroupNames::kOwn) {
        out->left_out.push_back(node->GetId());
        AddOwnHandle(isolate, node, &out->left_out, &buf);
        continue;
      }
      if (group == GroupNames::kCode) AddMachineCode(view, node, &out->left_out);
      uint64_t size = node->GetShallowSize();
      out->rows.push_back({node->GetId(), group, size});
      out->size_bytes += size;
    }
  }
  FinishSummary(out);
}

namespace {

// Node's native objects (its embedder graph: Node / Environment, Node / IsolateData, ...) get new
// snapshot ids in every snapshot, so matching them by id makes every one freed and allocated
// again. Those the id match left unmatched are paired off: what remains is how many more or
// fewer there are. Their size change is kept as it is.
void PairNativeRows(SummaryDiff* diff) {
  GroupChange& native = diff->groups[GroupNames::kNative];
  uint64_t pairs = std::min(native.freed, native.allocated);
  native.freed -= pairs;
  native.allocated -= pairs;
  diff->freed_nodes -= pairs;
  diff->allocated_nodes -= pairs;
}

}  // namespace

SummaryDiff DiffSummaries(HeapSummary* before, HeapSummary* after, uint32_t group_count) {
  // What one table leaves out, the other leaves out too: an object may be seen as machine code in
  // one snapshot only (an instruction stream V8 compiled on another thread is in the first
  // snapshot before the Code object that names it is installed), and counted in the other it
  // would read as freed or allocated.
  DropRows(after->left_out, before);
  DropRows(before->left_out, after);
  SummaryDiff diff;
  diff.groups.resize(group_count);
  auto a = before->rows.begin(), a_end = before->rows.end();
  auto b = after->rows.begin(), b_end = after->rows.end();
  while (a != a_end || b != b_end) {
    if (b == b_end || (a != a_end && a->id < b->id)) {
      GroupChange& g = diff.groups[a->group];
      g.freed++;
      g.size_bytes -= static_cast<int64_t>(a->self_size);
      diff.freed_nodes++;
      ++a;
    } else if (a == a_end || b->id < a->id) {
      GroupChange& g = diff.groups[b->group];
      g.allocated++;
      g.size_bytes += static_cast<int64_t>(b->self_size);
      diff.allocated_nodes++;
      ++b;
    } else {
      ++a;
      ++b;
    }
  }
  PairNativeRows(&diff);
  return diff;
}

namespace {

// Tells our handles from any other External.
constexpr napi_type_tag kHeapDiffTag = {0x8c5e3f0a1b2d4c6eull, 0x9a7b1c3d5e6f8091ull};

HeapDiffState* StateOf(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsExternal()) {
    auto handle = info[0].As<Napi::External<HeapDiffState>>();
    if (handle.CheckTypeTag(&kHeapDiffTag)) return handle.Data();
  }
  Napi::TypeError::New(info.Env(), "heapwatch binding: expected a HeapDiff handle")
      .ThrowAsJavaScriptException();
  return nullptr;
}

Napi::Object SummaryObject(Napi::Env env, const HeapSummary& summary) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("nodes", summary.nodes);
  out.Set("sizeBytes", static_cast<double>(summary.size_bytes));
  out.Set("time", summary.time_ms);
  return out;
}

// The table's size is reported to V8 as external memory while it is held, so that V8 collects
// HeapDiffs that are never ended as it collects Buffers: by the memory they hold, not by their
// few bytes on the heap.
void Report(Napi::Env env, HeapDiffState* state, int64_t bytes) {
  Napi::MemoryManagement::AdjustExternalMemory(env, bytes - state->reported);
  state->reported = bytes;
}

}  // namespace

Napi::Object DiffToJs(Napi::Env napi, const GroupNames& names, const HeapSummary& before,
                      const HeapSummary& after, const SummaryDiff& diff,
                      const std::vector<uint32_t>& targets,
                      const std::vector<std::vector<std::string>>& paths) {
  Napi::Object out = Napi::Object::New(napi);
  out.Set("before", SummaryObject(napi, before));
  out.Set("after", SummaryObject(napi, after));
  out.Set("freedNodes", static_cast<double>(diff.freed_nodes));
  out.Set("allocatedNodes", static_cast<double>(diff.allocated_nodes));
  Napi::Array groups = Napi::Array::New(napi);
  uint32_t count = 0;
  for (uint32_t g = 0; g < diff.groups.size(); g++) {
    const GroupChange& c = diff.groups[g];
    if (!GroupNames::Listed(g) || (c.allocated == 0 && c.freed == 0)) continue;
    Napi::Object item = Napi::Object::New(napi);
    item.Set("what", names.Name(g));
    item.Set("sizeBytes", static_cast<double>(c.size_bytes));
    item.Set("allocated", static_cast<double>(c.allocated));
    item.Set("freed", static_cast<double>(c.freed));
    auto t = std::find(targets.begin(), targets.end(), g);
    if (t != targets.end()) {
      const std::vector<std::string>& found = paths[t - targets.begin()];
      Napi::Array list = Napi::Array::New(napi, found.size());
      for (uint32_t i = 0; i < found.size(); i++) list.Set(i, found[i]);
      item.Set("retainers", list);
    }
    groups.Set(count++, item);
  }
  out.Set("groups", groups);
  return out;
}

Napi::Value HeapDiffCreate(const Napi::CallbackInfo& info) {
  auto* state = new HeapDiffState();
  auto handle =
      Napi::External<HeapDiffState>::New(info.Env(), state, [](Napi::Env env, HeapDiffState* data) {
        // A HeapDiff collected without end(): its table goes back to the system now.
        Report(env, data, 0);
        delete data;
#ifdef __GLIBC__
        malloc_trim(0);
#endif
      });
  handle.TypeTag(&kHeapDiffTag);
  return handle;
}

Napi::Value HeapDiffStart(Environment* env, const Napi::CallbackInfo& info) {
  HeapDiffState* state = StateOf(info);
  if (state == nullptr) return Napi::Value();
  state->before.time_ms = NowMs();
  {
    ScopedSnapshot snapshot(env);
    ReadSummary(env->isolate(), snapshot.get(), &state->names, &state->before);
  }
  Report(info.Env(), state, static_cast<int64_t>(state->ByteSize()));
  return info.Env().Undefined();
}

Napi::Value HeapDiffEnd(Environment* env, const Napi::CallbackInfo& info) {
  HeapDiffState* state = StateOf(info);
  if (state == nullptr) return Napi::Value();
  if (info.Length() < 2 || !info[1].IsNumber()) {
    Napi::TypeError::New(info.Env(), "heapwatch binding: bad argument 1")
        .ThrowAsJavaScriptException();
    return Napi::Value();
  }
  if (state->ended) {
    Napi::Error::New(info.Env(), "attempt to end() a HeapDiff that was already ended")
        .ThrowAsJavaScriptException();
    return Napi::Value();
  }
  double retainers_arg = info[1].As<Napi::Number>().DoubleValue();
  size_t retainers = retainers_arg > 0 ? static_cast<size_t>(std::min(retainers_arg, 1e6)) : 0;

  HeapSummary after;
  after.time_ms = NowMs();
  SummaryDiff diff;
  std::vector<uint32_t> targets;
  std::vector<std::vector<std::string>> paths;
  {
    ScopedSnapshot snapshot(env);
    ReadSummary(env->isolate(), snapshot.get(), &state->names, &after);
    diff = DiffSummaries(&state->before, &after, state->names.size());
    if (retainers > 0) {
      targets = GrowthTargets(diff, state->names, retainers);
      v8::HandleScope scope(env->isolate());
      V8SnapshotPaths graph(env->isolate(), snapshot.get());
      paths =
          FindRetainerPaths(graph, state->names, state->before, after, targets, kRetainerSamples);
    }
  }

  Napi::Object out = DiffToJs(info.Env(), state->names, state->before, after, diff, targets, paths);

  // The first table is no longer needed: give its memory back now, not at the next GC.
  state->ended = true;
  state->before = HeapSummary();
  state->names = GroupNames();
  Report(info.Env(), state, 0);
  return out;
}

#ifdef HEAPWATCH_TEST_SEAMS
Napi::Value HeapDiffBytes(const Napi::CallbackInfo& info) {
  HeapDiffState* state = StateOf(info);
  if (state == nullptr) return Napi::Value();
  return Napi::Number::New(info.Env(), static_cast<double>(state->ByteSize()));
}

Napi::Value BareSnapshot(Environment* env, const Napi::CallbackInfo& info) {
  uint64_t start = uv_hrtime();
  { ScopedSnapshot snapshot(env); }
  return Napi::Number::New(info.Env(), static_cast<double>(uv_hrtime() - start) / 1e6);
}
#endif

}  // namespace heapwatch
