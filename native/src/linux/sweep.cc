// One pass over /proc: per process stat + status (uid) + cgroup, and with threads, every
// task/<tid>/stat. A process may exit at any point of the pass; whatever of it was read is then
// dropped, so each process in the result is complete.
#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <unordered_map>

#include "linux/proc_files.h"
#include "platform.h"

namespace phantom {

namespace {

bool IsNumber(const char* s) {
  if (*s == '\0') return false;
  for (; *s; ++s)
    if (*s < '0' || *s > '9') return false;
  return true;
}

int32_t ToInt(const char* s) {
  int32_t v = 0;
  for (; *s; ++s) v = v * 10 + (*s - '0');
  return v;
}

// Reads every thread of one process; threads that exit meanwhile are skipped.
void ReadThreads(int procfd, const char* pid, std::vector<ThreadSample>* threads) {
  char path[64];
  procfs::NumberPath(path, sizeof path, pid, "/task");
  int taskfd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (taskfd < 0) return;
  DIR* dir = fdopendir(taskfd);
  if (dir == nullptr) {
    close(taskfd);
    return;
  }
  char buf[2048];
  while (struct dirent* e = readdir(dir)) {
    if (!IsNumber(e->d_name)) continue;
    procfs::NumberPath(path, sizeof path, e->d_name, "/stat");
    long n = procfs::ReadSmall(taskfd, path, buf, sizeof buf);
    procfs::StatLine st;
    if (n <= 0 || !procfs::ParseStatLine(buf, static_cast<size_t>(n), &st)) continue;
    ThreadSample t;
    t.tid = ToInt(e->d_name);
    t.state = st.state;
    t.processor = st.processor;
    t.start_time = st.start_time;
    t.utime = st.utime;
    t.stime = st.stime;
    t.comm.assign(st.comm, st.comm_len);
    threads->push_back(std::move(t));
  }
  closedir(dir);
}

}  // namespace

bool Sweep(const SweepOptions& options, SweepSample* out, SysError* err) {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  out->timestamp_ns = static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
  out->clk_tck = sysconf(_SC_CLK_TCK);
  out->page_size = sysconf(_SC_PAGESIZE);
  if (!ReadCoreTimes(&out->cores, err)) return false;

  DIR* dir = opendir("/proc");
  if (dir == nullptr) {
    err->errnum = errno;
    err->syscall = "opendir";
    err->detail = "/proc";
    return false;
  }
  int procfd = dirfd(dir);
  std::unordered_map<std::string, uint32_t> cgroup_index;
  std::string cgroup;
  char buf[4096];
  char path[64];
  while (struct dirent* e = readdir(dir)) {
    if (!IsNumber(e->d_name)) continue;
    procfs::NumberPath(path, sizeof path, e->d_name, "/stat");
    long n = procfs::ReadSmall(procfd, path, buf, sizeof buf);
    procfs::StatLine st;
    if (n <= 0 || !procfs::ParseStatLine(buf, static_cast<size_t>(n), &st)) continue;
    ProcessSample p;
    p.pid = ToInt(e->d_name);
    p.ppid = st.ppid;
    p.state = st.state;
    p.processor = st.processor;
    p.start_time = st.start_time;
    p.utime = st.utime;
    p.stime = st.stime;
    p.rss_pages = st.rss_pages;
    p.comm.assign(st.comm, st.comm_len);

    procfs::NumberPath(path, sizeof path, e->d_name, "/status");
    if (procfs::ReadSmall(procfd, path, buf, sizeof buf) <= 0 || !procfs::ParseStatusUid(buf, &p.uid)) continue;
    procfs::NumberPath(path, sizeof path, e->d_name, "/cgroup");
    if (!procfs::ReadAll(procfd, path, &cgroup)) continue;
    auto it = cgroup_index.find(cgroup);
    if (it == cgroup_index.end()) {
      it = cgroup_index.emplace(cgroup, static_cast<uint32_t>(out->cgroups.size())).first;
      out->cgroups.push_back(cgroup);
    }
    p.cgroup = it->second;

    p.first_thread = static_cast<uint32_t>(out->threads.size());
    if (options.threads) ReadThreads(procfd, e->d_name, &out->threads);
    p.thread_count = static_cast<uint32_t>(out->threads.size()) - p.first_thread;
    if (options.threads && p.thread_count == 0) continue;  // exited while we read it
    out->processes.push_back(std::move(p));
  }
  closedir(dir);
  return true;
}

}  // namespace phantom
