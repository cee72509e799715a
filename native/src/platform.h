// The backend interface: everything OS-specific sits behind these functions, so the N-API layer
// (addon.cc, sweep_worker.cc) is shared and a macOS or Windows backend is one new folder.
// Backends never touch N-API: they run on worker threads and report failures through SysError.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace phantom {

struct SysError {
  int errnum = 0;            // errno value, 0 when the failure is not a system call's
  std::string syscall;       // e.g. "sched_setaffinity", "open"
  std::string detail;        // what was being done, e.g. the path
  bool unsupported = false;  // the backend for this OS is not written yet
};

// Cumulative ticks (1/clk_tck s) a core spent in each state since boot, as /proc/stat reports them.
struct CoreTimes {
  uint32_t core;
  uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
};

struct ThreadSample {
  int32_t tid;
  char state;
  int32_t processor;  // core the thread last ran on
  uint64_t start_time, utime, stime;  // ticks (start: since boot)
  std::string comm;
};

struct ProcessSample {
  int32_t pid, ppid;
  uint32_t uid;  // real uid
  char state;
  int32_t processor;
  uint64_t start_time, utime, stime;  // utime/stime: all threads, living and exited
  uint64_t rss_pages;
  uint32_t cgroup;        // index into SweepSample::cgroups
  uint32_t first_thread;  // threads [first_thread, first_thread + thread_count) in SweepSample::threads
  uint32_t thread_count;
  std::string comm;
};

struct SweepOptions {
  bool threads = true;
};

struct SweepSample {
  uint64_t timestamp_ns = 0;  // CLOCK_MONOTONIC when the sweep started (same clock as process.hrtime)
  int64_t clk_tck = 0;
  int64_t page_size = 0;
  std::vector<CoreTimes> cores;
  std::vector<ProcessSample> processes;
  std::vector<ThreadSample> threads;
  // Distinct cgroup memberships (raw file contents); most processes share a handful.
  std::vector<std::string> cgroups;
};

// Name of the compiled backend ("linux"), or "" when this OS has none yet.
const char* BackendName();
// Number of CPUs the OS is configured for (core numbers run from 0 to this minus one).
uint32_t ConfiguredCpuCount();

bool ReadCoreTimes(std::vector<CoreTimes>* out, SysError* err);
// One pass over every process (and, with options.threads, every thread). Processes that exit
// during the pass are left out; only a failure to list processes at all is an error.
bool Sweep(const SweepOptions& options, SweepSample* out, SysError* err);
bool GetAffinity(int32_t tid, std::vector<uint32_t>* cores, SysError* err);
bool SetAffinity(int32_t tid, const std::vector<uint32_t>& cores, SysError* err);

}  // namespace phantom
