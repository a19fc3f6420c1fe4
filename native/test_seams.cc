#include "test_seams.h"

#include <algorithm>

#include "disk_guard.h"
#include "gc_monitor.h"
#include "heap_limit.h"
#include "heap_summary.h"

namespace heapwatch {
namespace test_seams {

namespace {

Environment* target = nullptr;  // the environment of the last Define (tests use one)

bool Bad(const Napi::CallbackInfo& info) {
  Napi::TypeError::New(info.Env(), "heapwatch test seam: bad arguments")
      .ThrowAsJavaScriptException();
  return false;
}

Napi::Value FakeFreeSpace(const Napi::CallbackInfo& info) {
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber())
    return Bad(info), Napi::Value();
  disk_guard::FakeFreeSpace(info[0].As<Napi::String>().Utf8Value(),
                            info[1].As<Napi::Number>().DoubleValue());
  return info.Env().Undefined();
}

Napi::Value SysRoot(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) return Bad(info), Napi::Value();
  heap_limit::SetRoot(info[0].As<Napi::String>().Utf8Value());
  return info.Env().Undefined();
}

Napi::Value MemoryAvailable(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) return Bad(info), Napi::Value();
  heap_limit::Memory m = heap_limit::Available(info[0].As<Napi::String>().Utf8Value());
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("machine", m.machine);
  out.Set("cgroup", m.cgroup);
  out.Set("cgroupFile", m.cgroup_file);
  return out;
}

Napi::Value FoldStatsSeam(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    return Bad(info), Napi::Value();
  }
  auto in = info[0].As<Napi::Float64Array>();
  size_t gcs = in.ElementLength() / 2;
  auto out = Napi::Float64Array::New(info.Env(), gcs * 4);
  StatsState state;
  for (size_t i = 0; i < gcs; i++) {
    StatsNumbers s = FoldStats(&state, in[2 * i], in[2 * i + 1]);
    double row[] = {s.estimated_base, s.usage_trend, s.min, s.max};
    std::copy_n(row, 4, out.Data() + 4 * i);
  }
  return out;
}

Napi::Value HeapDiffBytesSeam(const Napi::CallbackInfo& info) {
  return HeapDiffBytes(info);
}

Napi::Value BareSnapshotSeam(const Napi::CallbackInfo& info) {
  return BareSnapshot(target, info);
}

}  // namespace

void Define(Napi::Env env, Napi::Object exports, Environment* environment) {
  target = environment;
  exports.Set("testFakeFreeSpace", Napi::Function::New(env, FakeFreeSpace, "testFakeFreeSpace"));
  exports.Set("testSysRoot", Napi::Function::New(env, SysRoot, "testSysRoot"));
  exports.Set("testMemoryAvailable",
              Napi::Function::New(env, MemoryAvailable, "testMemoryAvailable"));
  exports.Set("testFoldStats", Napi::Function::New(env, FoldStatsSeam, "testFoldStats"));
  exports.Set("testHeapDiffBytes",
              Napi::Function::New(env, HeapDiffBytesSeam, "testHeapDiffBytes"));
  exports.Set("testBareSnapshot", Napi::Function::New(env, BareSnapshotSeam, "testBareSnapshot"));
}

}  // namespace test_seams
}  // namespace heapwatch
