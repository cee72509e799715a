#include "linux/proc_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace phantom {
namespace procfs {

long ReadSmall(int dirfd, const char* path, char* buf, size_t cap) {
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n;
  do {
    n = read(fd, buf, cap - 1);
  } while (n < 0 && errno == EINTR);
  int saved = errno;
  close(fd);
  if (n < 0) {
    errno = saved;
    return -1;
  }
  buf[n] = '\0';
  return static_cast<long>(n);
}

bool ReadAll(int dirfd, const char* path, std::string* out) {
  out->clear();
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char chunk[4096];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      close(fd);
      errno = saved;
      return false;
    }
    if (n == 0) break;
    out->append(chunk, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

namespace {

// Parses one space-separated decimal token (a leading '-' is allowed and clamps to 0; the
// fields a sweep keeps are never negative). Leaves p after the token.
bool NextField(const char*& p, const char* end, uint64_t* value) {
  while (p < end && *p == ' ') ++p;
  if (p >= end || *p == '\n') return false;
  bool negative = false;
  if (*p == '-') {
    negative = true;
    ++p;
  }
  uint64_t v = 0;
  const char* start = p;
  while (p < end && *p >= '0' && *p <= '9') v = v * 10 + static_cast<uint64_t>(*p++ - '0');
  if (p == start) return false;
  *value = negative ? 0 : v;
  return true;
}

}  // namespace

bool ParseStatLine(const char* buf, size_t len, StatLine* out) {
  const char* end = buf + len;
  const char* open = static_cast<const char*>(memchr(buf, '(', len));
  const char* close = static_cast<const char*>(memrchr(buf, ')', len));
  if (open == nullptr || close == nullptr || close < open || close + 2 >= end) return false;
  out->comm = open + 1;
  out->comm_len = static_cast<size_t>(close - open - 1);
  const char* p = close + 2;  // ") "
  out->state = *p++;
  out->processor = -1;
  // Field numbers as in proc(5): 3 is state; we want 4, 14, 15, 22, 24 and 39.
  for (int field = 4; field <= 39; ++field) {
    uint64_t v;
    if (!NextField(p, end, &v)) return field > 24;  // very old kernels stop before "processor"
    switch (field) {
      case 4: out->ppid = static_cast<int32_t>(v); break;
      case 14: out->utime = v; break;
      case 15: out->stime = v; break;
      case 22: out->start_time = v; break;
      case 24: out->rss_pages = v; break;
      case 39: out->processor = static_cast<int32_t>(v); break;
      default: break;
    }
  }
  return true;
}

bool ParseStatusUid(const char* buf, uint32_t* uid) {
  const char* line = strstr(buf, "\nUid:");
  if (line == nullptr) return false;
  const char* p = line + 5;
  while (*p == '\t' || *p == ' ') ++p;
  if (*p < '0' || *p > '9') return false;
  uint64_t v = 0;
  while (*p >= '0' && *p <= '9') v = v * 10 + static_cast<uint64_t>(*p++ - '0');
  *uid = static_cast<uint32_t>(v);
  return true;
}

void NumberPath(char* out, size_t cap, const char* number, const char* suffix) {
  size_t i = 0;
  while (*number && i + 1 < cap) out[i++] = *number++;
  while (*suffix && i + 1 < cap) out[i++] = *suffix++;
  out[i] = '\0';
}

}  // namespace procfs
}  // namespace phantom
