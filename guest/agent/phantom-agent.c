/*
 * phantom-agent: PID 1 of a Phantom Grid guest. Speaks the guest-channel protocol (docs/GUEST.md)
 * over one virtio-serial port: runs one job at a time as an unprivileged user, streams its output
 * with byte offsets (so a host can de-duplicate after a restore), returns output files and rusage.
 *
 * Written in C and linked statically because the guest holds nothing but busybox.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROTO_VERSION 1
#define MAGIC0 0x50 /* 'P' */
#define MAGIC1 0x47 /* 'G' */
#define HEADER_LEN 8
#define MAX_PAYLOAD (8u * 1024u * 1024u)
#define OUT_CHUNK 65536
#define JOB_UID 65534
#define JOB_GID 65534
#define JOB_ROOT "/job"
#define MAX_ARGS 256
#define MAX_ENVS 256
#define MAX_OUTPUTS 64
#define MAX_PATH_LEN 255

/* host -> guest */
#define T_HELLO 0x01
#define T_RUN 0x02
#define T_CANCEL 0x03
#define T_PING 0x04
/* guest -> host */
#define T_READY 0x81
#define T_OUT 0x82
#define T_EXIT 0x83
#define T_FILE 0x84
#define T_HEARTBEAT 0x85
#define T_ERROR 0x86
#define T_PONG 0x87
#define T_STARTED 0x88

/* RUN fields (tag u8, length u32, value) */
#define F_ARG 1
#define F_ENV 2
#define F_CWD 3
#define F_STDIN 4
#define F_FILE 5
#define F_OUTPUT 6

/* The last bytes of each stream are kept so a host that lost frames (a restore from a checkpoint,
 * the switch-over of a migration) can ask for them again by offset. */
#define RETAIN (1024u * 1024u)
struct ring {
  unsigned char buf[RETAIN];
  uint64_t end; /* stream offset just past the newest byte */
  size_t len;   /* bytes held: offsets [end - len, end) */
};
static struct ring rings[2];

static int sigchld_pipe[2] = {-1, -1};

struct job {
  int running;
  int finished; /* results were sent and are kept until the next RUN, for a host that lost them */
  char exit_json[320];
  pid_t pid;
  int out_fd, err_fd;
  uint64_t out_off, err_off;
  struct timespec started;
  char cwd[MAX_PATH_LEN + 1 + sizeof(JOB_ROOT)];
  char *outputs[MAX_OUTPUTS];
  int n_outputs;
};
static struct job job = {.out_fd = -1, .err_fd = -1};

static int port_fd = -1;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}
static void put_u64(unsigned char *p, uint64_t v) {
  put_u32(p, (uint32_t)(v >> 32));
  put_u32(p + 4, (uint32_t)v);
}
static uint32_t get_u32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static int write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  int retries = 0;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      /* The port can be briefly unusable around a migration switch-over: wait, do not give up. */
      if (fd == port_fd && (errno == ENODEV || errno == EPIPE || errno == EAGAIN || errno == EIO) && retries++ < 500) {
        usleep(20000);
        continue;
      }
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* One frame = header + up to two payload parts, written with one writev-equivalent sequence. */
static void send_frame2(int type, const void *a, size_t alen, const void *b, size_t blen) {
  unsigned char h[HEADER_LEN] = {MAGIC0, MAGIC1, PROTO_VERSION, (unsigned char)type};
  put_u32(h + 4, (uint32_t)(alen + blen));
  /* A frame that cannot be written is lost; the host notices the gap by offset and asks again. */
  if (write_all(port_fd, h, sizeof h) < 0 || (alen && write_all(port_fd, a, alen) < 0) ||
      (blen && write_all(port_fd, b, blen) < 0)) {
  }
}
static void send_frame(int type, const void *p, size_t n) { send_frame2(type, p, n, NULL, 0); }

static void json_escape(const char *in, char *out, size_t cap) {
  size_t o = 0;
  for (; *in && o + 7 < cap; in++) {
    unsigned char c = (unsigned char)*in;
    if (c == '"' || c == '\\') { out[o++] = '\\'; out[o++] = (char)c; }
    else if (c < 0x20 || c >= 0x7f) o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
    else out[o++] = (char)c;
  }
  out[o] = 0;
}

static void send_error(const char *code, const char *msg) {
  char esc[512], buf[640];
  json_escape(msg, esc, sizeof esc);
  int n = snprintf(buf, sizeof buf, "{\"code\":\"%s\",\"message\":\"%s\"}", code, esc);
  send_frame(T_ERROR, buf, (size_t)n);
}

static void send_ready(void) {
  struct sysinfo si;
  sysinfo(&si);
  char buf[256];
  int n = snprintf(buf, sizeof buf,
                   "{\"proto\":%d,\"agent\":\"1.0.0\",\"nproc\":%ld,\"memTotalKb\":%llu,\"uptimeMs\":%llu,"
                   "\"job\":%s,\"stdoutOffset\":%llu,\"stderrOffset\":%llu}",
                   PROTO_VERSION, sysconf(_SC_NPROCESSORS_ONLN),
                   (unsigned long long)si.totalram * si.mem_unit / 1024u, (unsigned long long)now_ms(),
                   job.running ? "true" : "false", (unsigned long long)job.out_off,
                   (unsigned long long)job.err_off);
  send_frame(T_READY, buf, (size_t)n);
}

static void send_heartbeat(uint64_t seq) {
  char buf[160];
  int n = snprintf(buf, sizeof buf, "{\"seq\":%llu,\"uptimeMs\":%llu,\"job\":%s}", (unsigned long long)seq,
                   (unsigned long long)now_ms(), job.running ? "true" : "false");
  send_frame(T_HEARTBEAT, buf, (size_t)n);
}

/* Relative, no "..", no empty components: everything a job names stays under /job. */
static int safe_rel_path(const char *p, size_t len) {
  if (len == 0 || len > MAX_PATH_LEN || p[0] == '/') return 0;
  if (memchr(p, 0, len)) return 0;
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i == len || p[i] == '/') {
      size_t seg = i - start;
      if (seg == 0) return 0;
      if (seg == 1 && p[start] == '.') return 0;
      if (seg == 2 && p[start] == '.' && p[start + 1] == '.') return 0;
      start = i + 1;
    }
  }
  return 1;
}

static int mkdirs_for(char *path) {
  for (char *s = path + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(path, 0755) == 0) {
      if (chown(path, JOB_UID, JOB_GID) < 0) { *s = '/'; return -1; }
    } else if (errno != EEXIST) { *s = '/'; return -1; }
    *s = '/';
  }
  return 0;
}

static char *dup_field(const unsigned char *v, uint32_t len) {
  char *s = malloc(len + 1);
  if (!s) return NULL;
  memcpy(s, v, len);
  s[len] = 0;
  return s;
}

static void free_outputs(void) {
  for (int i = 0; i < job.n_outputs; i++) free(job.outputs[i]);
  job.n_outputs = 0;
}

static void reset_job_dir(void) {
  /* A fresh /job for every job: nothing of a previous job leaks into the next. */
  if (fork() == 0) {
    execl("/bin/rm", "rm", "-rf", JOB_ROOT, (char *)NULL);
    _exit(127);
  }
  int st;
  while (wait(&st) < 0 && errno == EINTR) {}
  mkdir(JOB_ROOT, 0755);
  if (chown(JOB_ROOT, JOB_UID, JOB_GID) < 0) {}
}

static void handle_run(const unsigned char *p, uint32_t len) {
  if (job.running) { send_error("busy", "a job is already running"); return; }
  char *argv[MAX_ARGS + 1], *envp[MAX_ENVS + 1];
  int argc = 0, envc = 0;
  const unsigned char *stdin_data = NULL;
  uint32_t stdin_len = 0;
  char cwd_rel[MAX_PATH_LEN + 1] = "";
  const char *err = NULL;
  free_outputs();
  job.finished = 0;
  memset(rings, 0, sizeof rings);
  reset_job_dir();

  uint32_t off = 0;
  while (off < len && !err) {
    if (len - off < 5) { err = "truncated field header"; break; }
    unsigned tag = p[off];
    uint32_t flen = get_u32(p + off + 1);
    off += 5;
    if (flen > len - off) { err = "field longer than frame"; break; }
    const unsigned char *v = p + off;
    off += flen;
    switch (tag) {
    case F_ARG:
      if (argc >= MAX_ARGS) err = "too many arguments";
      else if (memchr(v, 0, flen)) err = "argument contains NUL";
      else argv[argc++] = dup_field(v, flen);
      break;
    case F_ENV:
      if (envc >= MAX_ENVS) err = "too many environment entries";
      else if (memchr(v, 0, flen) || !memchr(v, '=', flen)) err = "environment entry must be NAME=value";
      else envp[envc++] = dup_field(v, flen);
      break;
    case F_CWD:
      if (!safe_rel_path((const char *)v, flen)) err = "cwd must be a relative path under /job";
      else { memcpy(cwd_rel, v, flen); cwd_rel[flen] = 0; }
      break;
    case F_STDIN:
      stdin_data = v; stdin_len = flen;
      break;
    case F_FILE: {
      if (flen < 6) { err = "file field too short"; break; }
      uint32_t mode = get_u32(v) & 0777;
      uint32_t plen = ((uint32_t)v[4] << 8) | v[5];
      if (plen > flen - 6 || !safe_rel_path((const char *)v + 6, plen)) { err = "file path must be relative under /job"; break; }
      char path[sizeof(JOB_ROOT) + MAX_PATH_LEN + 2];
      snprintf(path, sizeof path, "%s/%.*s", JOB_ROOT, (int)plen, (const char *)v + 6);
      if (mkdirs_for(path) < 0) { err = "cannot create directories for an input file"; break; }
      int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
      if (fd < 0 || write_all(fd, v + 6 + plen, flen - 6 - plen) < 0 || fchown(fd, JOB_UID, JOB_GID) < 0 ||
          fchmod(fd, mode) < 0)
        err = "cannot write an input file";
      if (fd >= 0) close(fd);
      break;
    }
    case F_OUTPUT:
      if (job.n_outputs >= MAX_OUTPUTS) err = "too many output files";
      else if (!safe_rel_path((const char *)v, flen)) err = "output path must be relative under /job";
      else job.outputs[job.n_outputs++] = dup_field(v, flen);
      break;
    default:
      err = "unknown field tag";
    }
  }
  if (!err && argc == 0) err = "argv is empty";
  argv[argc] = NULL;
  envp[envc] = NULL;

  int so[2] = {-1, -1}, se[2] = {-1, -1}, sin_fd = -1;
  if (!err) {
    snprintf(job.cwd, sizeof job.cwd, "%s%s%s", JOB_ROOT, cwd_rel[0] ? "/" : "", cwd_rel);
    if (cwd_rel[0]) {
      char tmp[sizeof job.cwd + 1];
      snprintf(tmp, sizeof tmp, "%s/", job.cwd);
      if (mkdirs_for(tmp) < 0) err = "cannot create cwd";
    }
  }
  if (!err) {
    sin_fd = open("/run/phantom-stdin", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (sin_fd < 0 || write_all(sin_fd, stdin_data ? stdin_data : (const unsigned char *)"", stdin_len) < 0 ||
        lseek(sin_fd, 0, SEEK_SET) < 0)
      err = "cannot stage stdin";
  }
  if (!err && (pipe2(so, O_CLOEXEC) < 0 || pipe2(se, O_CLOEXEC) < 0)) err = "cannot create pipes";

  pid_t pid = -1;
  if (!err) {
    clock_gettime(CLOCK_MONOTONIC, &job.started);
    pid = fork();
    if (pid == 0) {
      /* The child must not inherit the port: a job never speaks the protocol itself. */
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, NULL);
      signal(SIGPIPE, SIG_DFL);
      signal(SIGCHLD, SIG_DFL);
      setsid();
      dup2(sin_fd, 0);
      dup2(so[1], 1);
      dup2(se[1], 2);
      if (chdir(job.cwd) < 0 || setgroups(0, NULL) < 0 || setgid(JOB_GID) < 0 || setuid(JOB_UID) < 0) {
        dprintf(2, "phantom-agent: cannot enter the job sandbox: %s\n", strerror(errno));
        _exit(126);
      }
      umask(022);
      int has_path = 0;
      for (int i = 0; i < envc; i++) if (strncmp(envp[i], "PATH=", 5) == 0) has_path = 1;
      if (!has_path && envc < MAX_ENVS) { envp[envc++] = "PATH=/bin:/sbin:/usr/bin"; envp[envc] = NULL; }
      /* execvpe searches PATH from the caller's environment: use the job's. */
      for (int i = 0; i < envc; i++) if (strncmp(envp[i], "PATH=", 5) == 0) setenv("PATH", envp[i] + 5, 1);
      execvpe(argv[0], argv, envp);
      dprintf(2, "phantom-agent: cannot execute %s: %s\n", argv[0], strerror(errno));
      _exit(127);
    }
    if (pid < 0) err = "fork failed";
  }
  for (int i = 0; i < argc; i++) free(argv[i]);
  for (int i = 0; i < envc; i++) free(envp[i]);
  if (sin_fd >= 0) close(sin_fd);
  if (so[1] >= 0) close(so[1]);
  if (se[1] >= 0) close(se[1]);
  if (err) {
    if (so[0] >= 0) close(so[0]);
    if (se[0] >= 0) close(se[0]);
    free_outputs();
    send_error("bad_request", err);
    return;
  }
  job.running = 1;
  job.pid = pid;
  job.out_fd = so[0];
  job.err_fd = se[0];
  job.out_off = job.err_off = 0;
  char buf[64];
  int n = snprintf(buf, sizeof buf, "{\"pid\":%d}", (int)pid);
  send_frame(T_STARTED, buf, (size_t)n);
}

/* Returns 0 at EOF, 1 otherwise. */
static int pump(int *fd, int stream, uint64_t *off) {
  static unsigned char data[OUT_CHUNK];
  ssize_t r = read(*fd, data, sizeof data);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return 1;
  if (r <= 0) {
    close(*fd);
    *fd = -1;
    return 0;
  }
  struct ring *rg = &rings[stream - 1];
  for (ssize_t i = 0; i < r; i++) rg->buf[(rg->end + (uint64_t)i) % RETAIN] = data[i];
  rg->end += (uint64_t)r;
  rg->len = rg->len + (size_t)r > RETAIN ? RETAIN : rg->len + (size_t)r;
  unsigned char h[9];
  h[0] = (unsigned char)stream;
  put_u64(h + 1, *off);
  send_frame2(T_OUT, h, sizeof h, data, (size_t)r);
  *off += (uint64_t)r;
  return 1;
}

/* Re-sends a stream from `from` if it is still retained. */
static void resend(int stream, uint64_t from) {
  struct ring *rg = &rings[stream - 1];
  if (from >= rg->end) return;
  if (from < rg->end - rg->len) { send_error("output_lost", "requested output is older than the retained 1 MiB"); return; }
  static unsigned char data[OUT_CHUNK];
  while (from < rg->end) {
    size_t n = rg->end - from > OUT_CHUNK ? OUT_CHUNK : (size_t)(rg->end - from);
    for (size_t i = 0; i < n; i++) data[i] = rg->buf[(from + i) % RETAIN];
    unsigned char h[9];
    h[0] = (unsigned char)stream;
    put_u64(h + 1, from);
    send_frame2(T_OUT, h, sizeof h, data, n);
    from += n;
  }
}

static void send_output_file(const char *rel) {
  char path[sizeof(JOB_ROOT) + MAX_PATH_LEN + 2];
  snprintf(path, sizeof path, "%s/%s", JOB_ROOT, rel);
  size_t plen = strlen(rel);
  size_t hlen = 7 + plen;
  unsigned char *h = malloc(hlen);
  if (!h) return;
  unsigned char status = 0;
  uint32_t mode = 0;
  unsigned char *content = NULL;
  size_t clen = 0;
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || fstat(fd, &st) < 0) status = 1;
  else if (!S_ISREG(st.st_mode)) status = 3;
  else if ((uint64_t)st.st_size > MAX_PAYLOAD - hlen) status = 2;
  else {
    mode = st.st_mode & 0777;
    content = malloc((size_t)st.st_size + 1);
    ssize_t got = 0;
    while (content && got < st.st_size) {
      ssize_t r = read(fd, content + got, (size_t)(st.st_size - got));
      if (r <= 0) break;
      got += r;
    }
    if (!content || got != st.st_size) status = 1;
    else clen = (size_t)got;
  }
  if (fd >= 0) close(fd);
  h[0] = status;
  put_u32(h + 1, mode);
  h[5] = (unsigned char)(plen >> 8);
  h[6] = (unsigned char)plen;
  memcpy(h + 7, rel, plen);
  send_frame2(T_FILE, h, hlen, content, status == 0 ? clen : 0);
  free(content);
  free(h);
}

static void finish_job(int status, struct rusage *ru) {
  /* The job is its process group: when its leader ends, stragglers go too. */
  kill(-job.pid, SIGKILL);
  uint64_t deadline = now_ms() + 2000;
  while ((job.out_fd >= 0 || job.err_fd >= 0) && now_ms() < deadline) {
    struct pollfd fds[2] = {{job.out_fd, POLLIN, 0}, {job.err_fd, POLLIN, 0}};
    if (poll(fds, 2, 100) <= 0) continue;
    if (job.out_fd >= 0 && (fds[0].revents & (POLLIN | POLLHUP))) pump(&job.out_fd, 1, &job.out_off);
    if (job.err_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP))) pump(&job.err_fd, 2, &job.err_off);
  }
  if (job.out_fd >= 0) { close(job.out_fd); job.out_fd = -1; }
  if (job.err_fd >= 0) { close(job.err_fd); job.err_fd = -1; }
  for (int i = 0; i < job.n_outputs; i++) send_output_file(job.outputs[i]);
  struct timespec end;
  clock_gettime(CLOCK_MONOTONIC, &end);
  long long wall = (end.tv_sec - job.started.tv_sec) * 1000LL + (end.tv_nsec - job.started.tv_nsec) / 1000000LL;
  char *buf = job.exit_json;
  int n = snprintf(buf, sizeof job.exit_json,
                   "{\"code\":%s%d,\"signal\":%s%d,\"utimeUs\":%lld,\"stimeUs\":%lld,\"maxRssKb\":%ld,"
                   "\"wallMs\":%lld,\"stdoutBytes\":%llu,\"stderrBytes\":%llu}",
                   "", WIFEXITED(status) ? WEXITSTATUS(status) : -1, "", WIFSIGNALED(status) ? WTERMSIG(status) : -1,
                   (long long)ru->ru_utime.tv_sec * 1000000LL + ru->ru_utime.tv_usec,
                   (long long)ru->ru_stime.tv_sec * 1000000LL + ru->ru_stime.tv_usec, ru->ru_maxrss, wall,
                   (unsigned long long)job.out_off, (unsigned long long)job.err_off);
  /* -1 means "not applicable": the host maps it to null. */
  send_frame(T_EXIT, buf, (size_t)n);
  job.finished = 1;
  job.running = 0;
  job.pid = 0;
}

static void reap(void) {
  for (;;) {
    int status;
    struct rusage ru;
    pid_t p = wait4(-1, &status, WNOHANG, &ru);
    if (p <= 0) return;
    if (job.running && p == job.pid) finish_job(status, &ru);
  }
}

static void on_sigchld(int sig) {
  (void)sig;
  int e = errno;
  if (write(sigchld_pipe[1], "c", 1) < 0) {}
  errno = e;
}

static void handle_frame(int type, const unsigned char *p, uint32_t len) {
  switch (type) {
  case T_HELLO:
    if (len != 0 && len != 16) { send_error("bad_frame", "hello carries nothing or two 8-byte offsets"); break; }
    send_ready();
    if (len == 16) {
      uint64_t o = ((uint64_t)get_u32(p) << 32) | get_u32(p + 4);
      uint64_t e = ((uint64_t)get_u32(p + 8) << 32) | get_u32(p + 12);
      resend(1, o);
      resend(2, e);
      if (job.finished) {
        for (int i = 0; i < job.n_outputs; i++) send_output_file(job.outputs[i]);
        send_frame(T_EXIT, job.exit_json, strlen(job.exit_json));
      }
    }
    break;
  case T_RUN: handle_run(p, len); break;
  case T_CANCEL:
    if (len != 1 || (p[0] != SIGTERM && p[0] != SIGKILL && p[0] != SIGINT)) send_error("bad_request", "cancel takes one signal: 2, 9 or 15");
    else if (job.running) kill(-job.pid, p[0]);
    break;
  case T_PING:
    if (len != 4) send_error("bad_frame", "ping carries a 4-byte sequence");
    else send_frame(T_PONG, p, 4);
    break;
  default: {
    char msg[64];
    snprintf(msg, sizeof msg, "unknown frame type 0x%02x", type);
    send_error("bad_frame", msg);
  }
  }
}

static const char *find_port(void) {
  static char dev[128];
  for (int i = 0; i < 16; i++) {
    char path[96], name[64] = "";
    snprintf(path, sizeof path, "/sys/class/virtio-ports/vport%dp1/name", i);
    for (int j = 0; j < 2; j++) {
      FILE *f = fopen(path, "r");
      if (f) {
        if (fgets(name, sizeof name, f)) name[strcspn(name, "\n")] = 0;
        fclose(f);
        if (strcmp(name, "org.phantomgrid.agent") == 0) {
          snprintf(dev, sizeof dev, "/dev/vport%dp1", i);
          return dev;
        }
      }
      snprintf(path, sizeof path, "/sys/class/virtio-ports/vport%dp0/name", i);
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  const char *dev = argc > 1 ? argv[1] : NULL;
  for (int tries = 0; !dev && tries < 500; tries++) {
    dev = find_port();
    if (!dev) usleep(10000);
  }
  if (!dev) { fprintf(stderr, "phantom-agent: no org.phantomgrid.agent port\n"); reboot(RB_POWER_OFF); return 1; }
  for (int tries = 0; port_fd < 0 && tries < 500; tries++) {
    port_fd = open(dev, O_RDWR | O_CLOEXEC);
    if (port_fd < 0) usleep(10000);
  }
  if (port_fd < 0) { perror("phantom-agent: open port"); reboot(RB_POWER_OFF); return 1; }
  signal(SIGPIPE, SIG_IGN);
  if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) < 0) return 1;
  struct sigaction sa = {0};
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  mkdir("/run", 0755);
  mkdir(JOB_ROOT, 0755);
  if (chown(JOB_ROOT, JOB_UID, JOB_GID) < 0) {}

  static unsigned char rbuf[HEADER_LEN + MAX_PAYLOAD];
  size_t have = 0;
  uint64_t hb_seq = 0, next_hb = now_ms();
  send_ready();
  for (;;) {
    uint64_t t = now_ms();
    if (t >= next_hb) {
      send_heartbeat(hb_seq++);
      next_hb = t + 1000;
    }
    struct pollfd fds[4] = {{port_fd, POLLIN, 0}, {sigchld_pipe[0], POLLIN, 0}, {job.out_fd, POLLIN, 0}, {job.err_fd, POLLIN, 0}};
    int timeout = (int)(next_hb - now_ms());
    if (timeout < 0) timeout = 0;
    int r = poll(fds, 4, timeout);
    if (r < 0 && errno != EINTR) return 1;
    if (r <= 0) continue;
    if (fds[1].revents & POLLIN) {
      char c[64];
      while (read(sigchld_pipe[0], c, sizeof c) > 0) {}
    }
    if (job.out_fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP))) pump(&job.out_fd, 1, &job.out_off);
    if (job.err_fd >= 0 && (fds[3].revents & (POLLIN | POLLHUP))) pump(&job.err_fd, 2, &job.err_off);
    if (fds[1].revents & POLLIN) reap();
    if (fds[0].revents & POLLIN) {
      ssize_t n = read(port_fd, rbuf + have, sizeof rbuf - have);
      if (n > 0) have += (size_t)n;
      else if (n == 0) usleep(20000); /* host not connected: the port reports EOF until it is */
    } else if (fds[0].revents & POLLHUP) {
      usleep(20000);
    }
    /* Parse every complete frame; a malformed header loses framing, so the buffer is dropped. */
    size_t pos = 0;
    while (have - pos >= HEADER_LEN) {
      unsigned char *h = rbuf + pos;
      uint32_t len = get_u32(h + 4);
      if (h[0] != MAGIC0 || h[1] != MAGIC1) { send_error("bad_frame", "bad magic; input discarded"); pos = have; break; }
      if (h[2] != PROTO_VERSION) {
        char msg[96];
        snprintf(msg, sizeof msg, "protocol version %u not supported (guest speaks %d)", h[2], PROTO_VERSION);
        send_error("bad_version", msg);
        pos = have;
        break;
      }
      if (len > MAX_PAYLOAD) { send_error("bad_frame", "frame longer than 8 MiB; input discarded"); pos = have; break; }
      if (have - pos - HEADER_LEN < len) break;
      handle_frame(h[3], h + HEADER_LEN, len);
      pos += HEADER_LEN + len;
    }
    if (pos > 0) {
      memmove(rbuf, rbuf + pos, have - pos);
      have -= pos;
    }
  }
}
