// Backend for operating systems without a real one yet: every call reports "unsupported", which
// the TypeScript wrapper turns into UnsupportedPlatformError.
#include "platform.h"

namespace phantom {
namespace {
bool Unsupported(SysError* err) {
  err->unsupported = true;
  err->detail = "no backend for this operating system";
  return false;
}
}  // namespace

const char* BackendName() { return ""; }
uint32_t ConfiguredCpuCount() { return 0; }
bool ReadCoreTimes(std::vector<CoreTimes>*, SysError* err) { return Unsupported(err); }
bool Sweep(const SweepOptions&, SweepSample*, SysError* err) { return Unsupported(err); }
bool GetAffinity(int32_t, std::vector<uint32_t>*, SysError* err) { return Unsupported(err); }
bool SetAffinity(int32_t, const std::vector<uint32_t>&, SysError* err) { return Unsupported(err); }

}  // namespace phantom
