// The raw binding: thin N-API entry points over the backend in platform.h. Arguments are checked
// only enough to stay memory-safe; validation that names the bad argument is done in
// native/lib (TypeScript) before anything reaches here.
#include <napi.h>

#include "js_values.h"
#include "platform.h"
#include "sweep_worker.h"

namespace phantom {
namespace {

int32_t TidArg(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "tid must be a number");
  return info[0].As<Napi::Number>().Int32Value();
}

Napi::Value CpuCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ConfiguredCpuCount());
}

Napi::Value CpuTimes(const Napi::CallbackInfo& info) {
  std::vector<CoreTimes> cores;
  SysError err;
  if (!ReadCoreTimes(&cores, &err)) throw ToJsError(info.Env(), err);
  return CoreTimesToJs(info.Env(), cores);
}

Napi::Value StartSweep(const Napi::CallbackInfo& info) {
  bool threads = info.Length() < 1 || info[0].ToBoolean().Value();
  auto* worker = new SweepWorker(info.Env(), threads);  // deletes itself when done
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value GetAffinityJs(const Napi::CallbackInfo& info) {
  int32_t tid = TidArg(info);
  std::vector<uint32_t> cores;
  SysError err;
  if (!GetAffinity(tid, &cores, &err)) throw ToJsError(info.Env(), err);
  auto out = Napi::Array::New(info.Env(), cores.size());
  for (size_t i = 0; i < cores.size(); ++i) out.Set(i, Napi::Number::New(info.Env(), cores[i]));
  return out;
}

Napi::Value SetAffinityJs(const Napi::CallbackInfo& info) {
  int32_t tid = TidArg(info);
  if (info.Length() < 2 || !info[1].IsArray()) throw Napi::TypeError::New(info.Env(), "cores must be an array");
  auto arr = info[1].As<Napi::Array>();
  std::vector<uint32_t> cores;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value v = arr.Get(i);
    if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), "cores must hold numbers");
    int64_t c = v.As<Napi::Number>().Int64Value();
    if (c < 0 || c >= (1 << 20)) throw Napi::RangeError::New(info.Env(), "core number out of range");
    cores.push_back(static_cast<uint32_t>(c));
  }
  SysError err;
  if (!SetAffinity(tid, cores, &err)) throw ToJsError(info.Env(), err);
  return info.Env().Undefined();
}

}  // namespace
}  // namespace phantom

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using namespace phantom;
  exports.Set("backend", Napi::String::New(env, BackendName()));
  exports.Set("cpuCount", Napi::Function::New(env, CpuCount, "cpuCount"));
  exports.Set("cpuTimes", Napi::Function::New(env, CpuTimes, "cpuTimes"));
  exports.Set("sweep", Napi::Function::New(env, StartSweep, "sweep"));
  exports.Set("getAffinity", Napi::Function::New(env, GetAffinityJs, "getAffinity"));
  exports.Set("setAffinity", Napi::Function::New(env, SetAffinityJs, "setAffinity"));
  return exports;
}

NODE_API_MODULE(phantom_native, Init)
