// Conversions shared by the N-API entry points: backend results into the raw shapes that
// native/lib/raw.ts describes, and SysError into a JS Error the wrapper turns into NativeError.
#pragma once

#include <napi.h>

#include "platform.h"

namespace phantom {

Napi::Error ToJsError(Napi::Env env, const SysError& err);
// 9 numbers per core: core, user, nice, system, idle, iowait, irq, softirq, steal.
Napi::Float64Array CoreTimesToJs(Napi::Env env, const std::vector<CoreTimes>& cores);
Napi::Object SweepToJs(Napi::Env env, const SweepSample& sample, bool threads);

}  // namespace phantom
