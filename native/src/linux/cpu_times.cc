// Per-core ticks from the "cpuN" lines of /proc/stat (the aggregate "cpu" line is left out;
// offline cores have no line, so core numbers may have gaps).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "linux/proc_files.h"
#include "platform.h"

namespace phantom {

bool ReadCoreTimes(std::vector<CoreTimes>* out, SysError* err) {
  out->clear();
  std::string text;
  if (!procfs::ReadAll(AT_FDCWD, "/proc/stat", &text)) {
    err->errnum = errno;
    err->syscall = "open";
    err->detail = "/proc/stat";
    return false;
  }
  const char* p = text.c_str();
  while (strncmp(p, "cpu", 3) == 0) {
    const char* eol = strchr(p, '\n');
    if (p[3] >= '0' && p[3] <= '9') {
      char* q;
      CoreTimes c{};
      c.core = static_cast<uint32_t>(strtoul(p + 3, &q, 10));
      uint64_t* fields[] = {&c.user, &c.nice, &c.system, &c.idle, &c.iowait, &c.irq, &c.softirq, &c.steal};
      for (uint64_t* f : fields) *f = strtoull(q, &q, 10);  // absent trailing fields read as 0
      out->push_back(c);
    }
    if (eol == nullptr) break;
    p = eol + 1;
  }
  if (out->empty()) {
    err->errnum = EIO;
    err->syscall = "read";
    err->detail = "/proc/stat has no per-core lines";
    return false;
  }
  return true;
}

}  // namespace phantom
