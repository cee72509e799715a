// Thread placement with dynamically sized CPU sets, so machines with more than CPU_SETSIZE (1024)
// CPUs work too.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "platform.h"

namespace phantom {

const char* BackendName() { return "linux"; }

uint32_t ConfiguredCpuCount() {
  long n = sysconf(_SC_NPROCESSORS_CONF);
  return n > 0 ? static_cast<uint32_t>(n) : 1;
}

namespace {
bool Fail(SysError* err, int errnum, const char* syscall, int32_t tid) {
  err->errnum = errnum;
  err->syscall = syscall;
  err->detail = "tid " + std::to_string(tid);
  return false;
}
}  // namespace

bool GetAffinity(int32_t tid, std::vector<uint32_t>* cores, SysError* err) {
  cores->clear();
  // The kernel answers EINVAL when the set is smaller than its own CPU mask: grow and retry.
  for (size_t ncpu = std::max<size_t>(1024, ConfiguredCpuCount()); ncpu <= (1u << 20); ncpu *= 2) {
    cpu_set_t* set = CPU_ALLOC(ncpu);
    if (set == nullptr) return Fail(err, ENOMEM, "sched_getaffinity", tid);
    size_t size = CPU_ALLOC_SIZE(ncpu);
    CPU_ZERO_S(size, set);
    if (sched_getaffinity(tid, size, set) == 0) {
      for (size_t i = 0; i < ncpu; ++i)
        if (CPU_ISSET_S(i, size, set)) cores->push_back(static_cast<uint32_t>(i));
      CPU_FREE(set);
      return true;
    }
    int e = errno;
    CPU_FREE(set);
    if (e != EINVAL) return Fail(err, e, "sched_getaffinity", tid);
  }
  return Fail(err, EINVAL, "sched_getaffinity", tid);
}

bool SetAffinity(int32_t tid, const std::vector<uint32_t>& cores, SysError* err) {
  size_t ncpu = ConfiguredCpuCount();
  for (uint32_t c : cores) ncpu = std::max<size_t>(ncpu, c + 1);
  cpu_set_t* set = CPU_ALLOC(ncpu);
  if (set == nullptr) return Fail(err, ENOMEM, "sched_setaffinity", tid);
  size_t size = CPU_ALLOC_SIZE(ncpu);
  CPU_ZERO_S(size, set);
  for (uint32_t c : cores) CPU_SET_S(c, size, set);
  int rc = sched_setaffinity(tid, size, set);
  int e = errno;
  CPU_FREE(set);
  if (rc != 0) return Fail(err, e, "sched_setaffinity", tid);
  return true;
}

}  // namespace phantom
