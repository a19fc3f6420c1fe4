#include "heap_summary.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

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
// Labels in retainer paths are cut here: a closure's name can be a whole source line.
constexpr size_t kMaxLabel = 80;
// Retainer paths shown per group: enough to see a pattern, few enough to read. They are picked
// from up to kRetainerCandidates nearest objects, skipping paths that differ only in numbers
// (element indices, hash table slots).
constexpr size_t kRetainerSamples = 3;
constexpr size_t kRetainerCandidates = 16;

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

// The group of a node. GetName() makes (and internalizes) a V8 string, so it is called only
// for objects, whose group is their constructor's name.
uint32_t GroupOf(v8::Isolate* isolate, const Node* node, GroupNames* names, std::string* buf) {
  switch (node->GetType()) {
    case Node::kObject:
      return names->Intern(Utf8(isolate, node->GetName(), buf));
    case Node::kArray:
      return GroupNames::kArray;
    case Node::kString:
    case Node::kConsString:
    case Node::kSlicedString:
      return GroupNames::kString;
    case Node::kCode:
      return GroupNames::kCode;
    case Node::kClosure:
      return GroupNames::kClosure;
    case Node::kRegExp:
      return GroupNames::kRegExp;
    case Node::kHeapNumber:
      return GroupNames::kNumber;
    case Node::kNative:
      return GroupNames::kNative;
    case Node::kSymbol:
      return GroupNames::kSymbol;
    case Node::kBigInt:
      return GroupNames::kBigInt;
    default:
      // kHidden, kSynthetic, kObjectShape and whatever later V8s add.
      return GroupNames::kHidden;
  }
}

// Open addressing from snapshot id to a 32-bit value. V8 never gives a node id 0
// (HeapProfiler::kUnknownObjectId), so 0 marks an empty slot.
class IdMap {
 public:
  // A set when `with_values` is false (Insert then returns null).
  IdMap(size_t expected, bool with_values) {
    bits_ = 4;
    while ((size_t{1} << bits_) < expected * 2) bits_++;
    keys_.assign(size_t{1} << bits_, 0);
    if (with_values) values_.resize(keys_.size());
  }

  // The value slot for `id` (null for a set), added if missing: then *added is true.
  uint32_t* Insert(uint32_t id, bool* added) {
    size_t i = Probe(id);
    *added = keys_[i] == 0;
    keys_[i] = id;
    return values_.empty() ? nullptr : &values_[i];
  }

  const uint32_t* Find(uint32_t id) const {
    size_t i = Probe(id);
    return keys_[i] == 0 || values_.empty() ? nullptr : &values_[i];
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

std::string Clip(std::string_view s) {
  if (s.size() <= kMaxLabel) return std::string(s);
  // Cut at a UTF-8 character boundary.
  size_t end = kMaxLabel;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) end--;
  return std::string(s.substr(0, end)) + "...";
}

// How a node reads in a retainer path. Strings show as "String", never their contents.
std::string NodeLabel(v8::Isolate* isolate, const Node* node, std::string* buf) {
  switch (node->GetType()) {
    case Node::kString:
    case Node::kConsString:
    case Node::kSlicedString:
      return "String";
    case Node::kHeapNumber:
      return "Number";
    case Node::kRegExp:
      return "RegExp";
    case Node::kSymbol:
      return "Symbol";
    case Node::kBigInt:
      return "BigInt";
    case Node::kClosure: {
      std::string_view name = Utf8(isolate, node->GetName(), buf);
      return (name.empty() ? std::string("(anonymous)") : Clip(name)) + "()";
    }
    default: {
      std::string_view name = Utf8(isolate, node->GetName(), buf);
      if (!name.empty()) return Clip(name);
      if (node->GetType() == Node::kArray) return "(internal array)";
      if (node->GetType() == Node::kCode) return "(code)";
      return "(system)";
    }
  }
}

// How an edge reads: "cache (property)", "table (internal)", "x (variable)", "[3]".
std::string EdgeLabel(v8::Isolate* isolate, const Edge* edge, std::string* buf) {
  v8::Local<v8::Value> value = edge->GetName();
  std::string name;
  if (value->IsString()) {
    name = Clip(Utf8(isolate, value.As<v8::String>(), buf));
  } else if (value->IsNumber()) {
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", value.As<v8::Number>()->Value());
    name = digits;
  }
  switch (edge->GetType()) {
    case Edge::kContextVariable:
      return name + " (variable)";
    case Edge::kElement:
      return "[" + name + "]";
    case Edge::kProperty:
      return name + " (property)";
    case Edge::kInternal:
      return name + " (internal)";
    case Edge::kHidden:
      return "[" + name + "] (hidden)";
    case Edge::kShortcut:
      return name + " (shortcut)";
    default:
      return name + " (weak)";
  }
}

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

// A path with its numbers blanked: paths through the same holders share a shape.
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
  out->own_ids.clear();
  out->rows.reserve(static_cast<size_t>(count));
  out->size_bytes = 0;
  std::string buf;
  for (int start = 0; start < count; start += kBatch) {
    v8::HandleScope scope(isolate);
    const int end = std::min(count, start + kBatch);
    for (int i = start; i < end; i++) {
      const Node* node = snapshot->GetNode(i);
      uint32_t group = GroupOf(isolate, node, names, &buf);
      if (group == GroupNames::kOwn) {
        out->own_ids.push_back(node->GetId());
        AddOwnHandle(isolate, node, &out->own_ids, &buf);
        continue;
      }
      uint64_t size = node->GetShallowSize();
      out->rows.push_back({node->GetId(), group, size});
      out->size_bytes += size;
    }
  }
  std::sort(out->own_ids.begin(), out->own_ids.end());
  if (!out->own_ids.empty()) {
    // A handle may have been read before its HeapDiff: drop it now.
    auto own = [out](const SummaryRow& row) {
      return std::binary_search(out->own_ids.begin(), out->own_ids.end(), row.id);
    };
    for (const SummaryRow& row : out->rows) {
      if (own(row)) out->size_bytes -= row.self_size;
    }
    out->rows.erase(std::remove_if(out->rows.begin(), out->rows.end(), own), out->rows.end());
  }
  std::sort(out->rows.begin(), out->rows.end(),
            [](const SummaryRow& a, const SummaryRow& b) { return a.id < b.id; });
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

SummaryDiff DiffSummaries(const HeapSummary& before, const HeapSummary& after,
                          uint32_t group_count) {
  SummaryDiff diff;
  diff.groups.resize(group_count);
  auto a = before.rows.begin(), a_end = before.rows.end();
  auto b = after.rows.begin(), b_end = after.rows.end();
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

std::vector<std::vector<std::string>> FindRetainerPaths(
    v8::Isolate* isolate, const v8::HeapSnapshot* snapshot, const GroupNames& names,
    const HeapSummary& before, const HeapSummary& after, const std::vector<uint32_t>& targets,
    size_t per_group) {
  std::vector<std::vector<std::string>> paths(targets.size());
  if (targets.empty() || per_group == 0) return paths;
  const size_t candidates = std::max(per_group, kRetainerCandidates);

  // The allocated objects of the target groups (in `after`, not in `before`): id -> target.
  std::vector<uint32_t> target_of_group(names.size(), UINT32_MAX);
  for (size_t t = 0; t < targets.size(); t++) {
    target_of_group[targets[t]] = static_cast<uint32_t>(t);
  }
  std::vector<std::pair<uint32_t, uint32_t>> wanted_list;
  std::vector<size_t> available(targets.size(), 0);
  auto a = before.rows.begin();
  for (const SummaryRow& row : after.rows) {
    while (a != before.rows.end() && a->id < row.id) ++a;
    if (a != before.rows.end() && a->id == row.id) continue;
    uint32_t t = target_of_group[row.group];
    if (t == UINT32_MAX) continue;
    wanted_list.emplace_back(row.id, t);
    available[t]++;
  }
  IdMap wanted(wanted_list.size(), true);
  bool added;
  for (auto [id, t] : wanted_list) *wanted.Insert(id, &added) = t;
  size_t needed = 0;
  for (size_t t = 0; t < targets.size(); t++) needed += std::min(candidates, available[t]);

  struct Visit {
    const Node* node;
    uint32_t parent;  // index into visits
    int32_t edge;     // index of the edge in the parent's children
  };
  std::vector<Visit> visits;  // in breadth-first order: also the queue
  IdMap seen(static_cast<size_t>(snapshot->GetNodesCount()), false);
  std::vector<std::vector<uint32_t>> found(targets.size());
  const Node* root = snapshot->GetRoot();
  seen.Insert(root->GetId(), &added);
  visits.push_back({root, UINT32_MAX, -1});
  // What the running code holds on its stack or in handles is rarely the leak, and newer V8s
  // (conservative stack scanning) reach many objects from there first: walk those root groups
  // only after everything else, so that an object also held by a cache is found through it.
  std::vector<Visit> deferred;
  std::string name_buf;
  auto is_stack_group = [&](const Node* n) {
    if (n->GetType() != Node::kSynthetic) return false;
    v8::HandleScope scope(isolate);
    std::string_view name = Utf8(isolate, n->GetName(), &name_buf);
    return name == "(Stack roots)" || name == "(Handle scope)";
  };
  for (size_t head = 0; needed > 0; head++) {
    if (head == visits.size()) {
      if (deferred.empty()) break;
      for (const Visit& d : deferred) {
        seen.Insert(d.node->GetId(), &added);
        if (added) visits.push_back(d);
      }
      deferred.clear();
      if (head == visits.size()) break;
    }
    const Node* node = visits[head].node;
    if (!after.own_ids.empty() &&
        std::binary_search(after.own_ids.begin(), after.own_ids.end(), node->GetId())) {
      continue;  // HeapDiff's own: not a retainer of anything the user made
    }
    const int children = node->GetChildrenCount();
    for (int e = 0; e < children && needed > 0; e++) {
      const Edge* edge = node->GetChild(e);
      if (edge->GetType() == Edge::kWeak) continue;
      const Node* to = edge->GetToNode();
      const uint32_t id = to->GetId();
      if (id == 0) continue;  // never given out by V8; 0 marks empty slots
      if (head == 0 || visits[head].node->GetType() == Node::kSynthetic) {
        if (is_stack_group(to)) {
          deferred.push_back({to, static_cast<uint32_t>(head), e});
          continue;
        }
      }
      seen.Insert(id, &added);
      if (!added) continue;
      visits.push_back({to, static_cast<uint32_t>(head), e});
      const uint32_t* t = wanted.Find(id);
      if (t != nullptr && found[*t].size() < candidates) {
        found[*t].push_back(static_cast<uint32_t>(visits.size() - 1));
        needed--;
      }
    }
  }

  std::string buf;
  std::vector<uint32_t> chain;
  for (size_t t = 0; t < targets.size(); t++) {
    std::vector<std::string> rendered;
    for (uint32_t v : found[t]) {
      v8::HandleScope scope(isolate);
      chain.clear();
      for (uint32_t i = v; i != 0; i = visits[i].parent) chain.push_back(i);
      std::string path;
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        const Visit& step = visits[*it];
        const Node* from = visits[step.parent].node;
        // Edges out of the root and the synthetic root groups are only indices: leave them out.
        if (step.parent != 0 && from->GetType() != Node::kSynthetic) {
          path += " > ";
          path += EdgeLabel(isolate, from->GetChild(step.edge), &buf);
        }
        if (!path.empty()) path += " > ";
        path += NodeLabel(isolate, step.node, &buf);
      }
      rendered.push_back(std::move(path));
    }
    // What the running code holds on its stack is rarely the leak: such paths go last.
    std::stable_partition(rendered.begin(), rendered.end(), [](const std::string& path) {
      return path.rfind("(GC roots) > (Stack roots)", 0) != 0 &&
             path.rfind("(GC roots) > (Handle scope)", 0) != 0;
    });
    std::vector<std::string> shapes;
    for (std::string& path : rendered) {
      std::string shape = ShapeOf(path);
      if (std::find(shapes.begin(), shapes.end(), shape) != shapes.end()) continue;
      shapes.push_back(std::move(shape));
      paths[t].push_back(std::move(path));
      if (paths[t].size() == per_group) break;
    }
  }
  return paths;
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
    diff = DiffSummaries(state->before, after, state->names.size());
    if (retainers > 0) {
      // The groups that grew most: largest net growth in bytes, then in count.
      for (uint32_t g = 0; g < diff.groups.size(); g++) {
        const GroupChange& c = diff.groups[g];
        if (GroupNames::Listed(g) && c.allocated > 0 &&
            (c.size_bytes > 0 || c.allocated > c.freed)) {
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
        return state->names.Name(x) < state->names.Name(y);
      });
      if (targets.size() > retainers) targets.resize(retainers);
      paths = FindRetainerPaths(env->isolate(), snapshot.get(), state->names, state->before, after,
                                targets, kRetainerSamples);
    }
  }

  Napi::Env napi = info.Env();
  Napi::Object out = Napi::Object::New(napi);
  out.Set("before", SummaryObject(napi, state->before));
  out.Set("after", SummaryObject(napi, after));
  out.Set("freedNodes", static_cast<double>(diff.freed_nodes));
  out.Set("allocatedNodes", static_cast<double>(diff.allocated_nodes));
  Napi::Array groups = Napi::Array::New(napi);
  uint32_t count = 0;
  for (uint32_t g = 0; g < diff.groups.size(); g++) {
    const GroupChange& c = diff.groups[g];
    if (!GroupNames::Listed(g) || (c.allocated == 0 && c.freed == 0)) continue;
    Napi::Object item = Napi::Object::New(napi);
    item.Set("what", state->names.Name(g));
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

  // The first table is no longer needed: give its memory back now, not at the next GC.
  state->ended = true;
  state->before = HeapSummary();
  state->names = GroupNames();
  Report(napi, state, 0);
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
