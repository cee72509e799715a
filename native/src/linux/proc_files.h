// Readers for procfs text files: openat relative to an open directory, one read into a caller's
// buffer, no allocation on the hot path. Every /proc file is generated whole on first read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace phantom {
namespace procfs {

// Reads at most cap-1 bytes of dirfd/path into buf and NUL-terminates it. Returns the length,
// or -1 with errno set.
long ReadSmall(int dirfd, const char* path, char* buf, size_t cap);
// Reads the whole of dirfd/path into out. Returns false with errno set.
bool ReadAll(int dirfd, const char* path, std::string* out);

// The fields of /proc/<pid>/stat and /proc/<pid>/task/<tid>/stat that a sweep keeps.
struct StatLine {
  const char* comm;  // points into the parsed buffer
  size_t comm_len;
  char state;
  int32_t ppid;
  uint64_t utime, stime, start_time, rss_pages;
  int32_t processor;  // -1 when the kernel does not report it
};
// comm may hold spaces and ')' itself, so it runs from the first '(' to the last ')'.
bool ParseStatLine(const char* buf, size_t len, StatLine* out);

// Real uid from the "Uid:" line of /proc/<pid>/status.
bool ParseStatusUid(const char* buf, uint32_t* uid);

// "<number><suffix>" into out (cap bytes); used to build "1234/stat" without snprintf.
void NumberPath(char* out, size_t cap, const char* number, const char* suffix);

}  // namespace procfs
}  // namespace phantom
