#include "sweep_worker.h"

#include <exception>

#include "js_values.h"

namespace phantom {

SweepWorker::SweepWorker(Napi::Env env, bool threads)
    : Napi::AsyncWorker(env, "phantom:sweep"), deferred_(Napi::Promise::Deferred::New(env)) {
  options_.threads = threads;
}

void SweepWorker::Execute() {
  try {
    ok_ = Sweep(options_, &sample_, &error_);
  } catch (const std::exception& e) {  // std::bad_alloc from a huge process table
    SetError(e.what());
  }
}

void SweepWorker::OnOK() {
  Napi::Env env = Env();
  if (ok_) {
    deferred_.Resolve(SweepToJs(env, sample_, options_.threads));
  } else {
    deferred_.Reject(ToJsError(env, error_).Value());
  }
}

void SweepWorker::OnError(const Napi::Error& e) { deferred_.Reject(e.Value()); }

}  // namespace phantom
