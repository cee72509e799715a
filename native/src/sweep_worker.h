#pragma once

#include <napi.h>

#include "platform.h"

namespace phantom {

// Runs one Sweep on the libuv thread pool and settles a promise with its raw result, so a
// sweep never blocks the JS thread.
class SweepWorker : public Napi::AsyncWorker {
 public:
  SweepWorker(Napi::Env env, bool threads);
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  Napi::Promise::Deferred deferred_;
  SweepOptions options_;
  SweepSample sample_;
  SysError error_;
  bool ok_ = false;
};

}  // namespace phantom
