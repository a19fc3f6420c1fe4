#include "analysis_worker.h"

#include <atomic>
#include <chrono>
#include <cstring>

#include "heap_analysis.h"
#include "heap_limit.h"

namespace heapwatch {

namespace {

struct ProgressEvent {
  char step[16];
  uint32_t file;
  double done;
  double total;
};

enum class Command { kSummary, kDiff, kLeaks };

Napi::Object TotalsToJs(Napi::Env env, const FileTotals& t) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("nodes", t.nodes);
  out.Set("edges", t.edges);
  out.Set("selfBytes", t.self_bytes);
  out.Set("unreachable", t.unreachable);
  return out;
}

Napi::Object LineageToJs(Napi::Env env, const Lineage& l) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("verdict", l.verdict);
  out.Set("common", l.common);
  out.Set("mismatched", l.mismatched);
  out.Set("added", l.added);
  out.Set("removed", l.removed);
  out.Set("olderNew", l.older_new);
  out.Set("newerGone", l.newer_gone);
  return out;
}

class AnalysisWorker : public Napi::AsyncProgressWorker<ProgressEvent>, public AnalysisProgress {
 public:
  AnalysisWorker(Napi::Env env, Command command, std::vector<std::string> files,
                 AnalysisOptions options, Napi::Function on_progress)
      : Napi::AsyncProgressWorker<ProgressEvent>(env, "heapwatch.analyze"),
        deferred_(Napi::Promise::Deferred::New(env)),
        command_(command),
        files_(std::move(files)),
        options_(options) {
    if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  // Pool thread.
  void Execute(const ExecutionProgress& progress) override {
    progress_ = &progress;
    switch (command_) {
      case Command::kSummary:
        ok_ = Summarize(files_[0], options_, this, &summary_, &error_);
        break;
      case Command::kDiff:
        ok_ = DiffFiles(files_[0], files_[1], options_, this, &diff_, &error_);
        break;
      case Command::kLeaks:
        ok_ = FindLeaks(files_[0], files_[1], files_[2], options_, this, &leaks_, &error_);
        break;
    }
    progress_ = nullptr;
  }

  // Pool thread: sends a step's first report at once, then at most every 50 ms.
  void Step(const char* step, uint32_t file, uint64_t done, uint64_t total) override {
    auto now = std::chrono::steady_clock::now();
    bool changed = strncmp(step, last_.step, sizeof last_.step) != 0 || file != last_.file;
    if (!changed && done != total && now - sent_ < std::chrono::milliseconds(50)) return;
    sent_ = now;
    snprintf(last_.step, sizeof last_.step, "%s", step);
    last_.file = file;
    last_.done = static_cast<double>(done);
    last_.total = static_cast<double>(total);
    if (progress_ != nullptr) progress_->Send(&last_, 1);
  }

  // JS thread.
  void OnProgress(const ProgressEvent* data, size_t count) override {
    if (on_progress_.IsEmpty() || data == nullptr || count == 0) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    on_progress_.Call({Napi::String::New(env, data->step), Napi::Number::New(env, data->file),
                       Napi::Number::New(env, data->done), Napi::Number::New(env, data->total)});
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (!ok_) {
      Napi::Error error = Napi::Error::New(env, error_.read.message);
      error.Set("file", static_cast<double>(error_.file));
      if (error_.read.system_error != 0) {
        error.Set("errno", -static_cast<double>(error_.read.system_error));
        error.Set("syscall", error_.read.syscall);
      }
      deferred_.Reject(error.Value());
      return;
    }
    Napi::Object out = Napi::Object::New(env);
    switch (command_) {
      case Command::kSummary:
        FillSummary(env, out);
        break;
      case Command::kDiff:
        out.Set("lineage", LineageToJs(env, diff_.lineage));
        if (std::string_view(diff_.lineage.verdict) == "same") {
          out.Set("diff", DiffToJs(env, diff_.names, diff_.before, diff_.after, diff_.diff,
                                   diff_.targets, diff_.paths));
        }
        break;
      case Command::kLeaks:
        FillLeaks(env, out);
        break;
    }
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  void FillSummary(Napi::Env env, Napi::Object out) {
    out.Set("totals", TotalsToJs(env, summary_.totals));
    Napi::Array groups = Napi::Array::New(env, summary_.groups.size());
    for (uint32_t i = 0; i < summary_.groups.size(); i++) {
      const GroupRow& g = summary_.groups[i];
      Napi::Object row = Napi::Object::New(env);
      row.Set("what", g.what);
      row.Set("count", g.count);
      row.Set("selfBytes", g.self_bytes);
      row.Set("retainedBytes", g.retained_bytes);
      groups.Set(i, row);
    }
    out.Set("groups", groups);
    Napi::Array largest = Napi::Array::New(env, summary_.largest.size());
    for (uint32_t i = 0; i < summary_.largest.size(); i++) {
      const ObjectRow& o = summary_.largest[i];
      Napi::Object row = Napi::Object::New(env);
      row.Set("id", static_cast<double>(o.id));
      row.Set("what", o.what);
      row.Set("name", o.name);
      row.Set("selfBytes", o.self_bytes);
      row.Set("retainedBytes", o.retained_bytes);
      row.Set("path", o.path);
      largest.Set(i, row);
    }
    out.Set("largest", largest);
  }

  void FillLeaks(Napi::Env env, Napi::Object out) {
    Napi::Array lineage = Napi::Array::New(env, 2);
    lineage.Set(0u, LineageToJs(env, leaks_.lineage[0]));
    lineage.Set(1u, LineageToJs(env, leaks_.lineage[1]));
    out.Set("lineage", lineage);
    out.Set("totals", TotalsToJs(env, leaks_.totals));
    out.Set("candidates", leaks_.candidates);
    Napi::Object settled = Napi::Object::New(env);
    settled.Set("groups", leaks_.settled_groups);
    settled.Set("count", leaks_.settled_count);
    settled.Set("retainedBytes", leaks_.settled_bytes);
    out.Set("settled", settled);
    Napi::Array groups = Napi::Array::New(env, leaks_.groups.size());
    for (uint32_t i = 0; i < leaks_.groups.size(); i++) {
      const LeakGroup& g = leaks_.groups[i];
      Napi::Object row = Napi::Object::New(env);
      row.Set("what", g.what);
      row.Set("count", g.count);
      row.Set("retainedBytes", g.retained_bytes);
      row.Set("later", g.later);
      row.Set("path", g.path);
      groups.Set(i, row);
    }
    out.Set("groups", groups);
  }

  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference on_progress_;
  const Command command_;
  const std::vector<std::string> files_;
  AnalysisOptions options_;
  const ExecutionProgress* progress_ = nullptr;
  ProgressEvent last_ = {};
  std::chrono::steady_clock::time_point sent_;
  bool ok_ = false;
  AnalysisError error_;
  SummaryReport summary_;
  DiffReport diff_;
  LeaksReport leaks_;
};

// The memory the analysis may use: what the machine and the memory cgroup can still give.
double MemoryAvailable() {
  heap_limit::Memory m = heap_limit::Available("");
  double best = m.machine;
  if (m.cgroup >= 0 && (best < 0 || m.cgroup < best)) best = m.cgroup;
  return best > 0 ? best : 0;
}

}  // namespace

Napi::Value Analyze(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // src/cli validates with full messages; these are cheap re-checks.
  auto bad = [&](const char* what) {
    Napi::TypeError::New(env, std::string("heapwatch binding: analyze: ") + what)
        .ThrowAsJavaScriptException();
    return Napi::Value();
  };
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsArray() || !info[2].IsObject()) {
    return bad("expected (command, files, options, onProgress)");
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  Command command;
  size_t want;
  if (name == "summary") {
    command = Command::kSummary;
    want = 1;
  } else if (name == "diff") {
    command = Command::kDiff;
    want = 2;
  } else if (name == "leaks") {
    command = Command::kLeaks;
    want = 3;
  } else {
    return bad("unknown command");
  }
  Napi::Array list = info[1].As<Napi::Array>();
  if (list.Length() != want) return bad("wrong number of files");
  std::vector<std::string> files;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list.Get(i);
    if (!v.IsString()) return bad("files must be strings");
    files.push_back(v.As<Napi::String>().Utf8Value());
  }
  Napi::Object opts = info[2].As<Napi::Object>();
  AnalysisOptions options;
  auto count = [&](const char* key, uint32_t fallback) {
    Napi::Value v = opts.Get(key);
    if (!v.IsNumber()) return fallback;
    double d = v.As<Napi::Number>().DoubleValue();
    return d >= 0 && d <= 1e6 ? static_cast<uint32_t>(d) : fallback;
  };
  options.top = count("top", 10);
  options.retainers = count("retainers", 0);
  Napi::Value rules = opts.Get("rules");
  if (rules.IsString() && rules.As<Napi::String>().Utf8Value() == "memlab") {
    options.rules = DominatorRules::kMemlab;
  }
  options.max_bytes = MemoryAvailable();
  Napi::Function on_progress;
  if (info.Length() > 3 && info[3].IsFunction()) on_progress = info[3].As<Napi::Function>();
  auto* worker = new AnalysisWorker(env, command, std::move(files), options, on_progress);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace heapwatch
