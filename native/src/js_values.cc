#include "js_values.h"

#include <cstring>

namespace phantom {

Napi::Error ToJsError(Napi::Env env, const SysError& err) {
  std::string message;
  if (err.unsupported) {
    message = "unsupported on this OS";
  } else {
    message = err.syscall + ": " + std::strerror(err.errnum);
  }
  if (!err.detail.empty()) message += " (" + err.detail + ")";
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("errno", Napi::Number::New(env, err.errnum));
  e.Set("syscall", Napi::String::New(env, err.syscall));
  e.Set("unsupported", Napi::Boolean::New(env, err.unsupported));
  return e;
}

Napi::Float64Array CoreTimesToJs(Napi::Env env, const std::vector<CoreTimes>& cores) {
  auto out = Napi::Float64Array::New(env, cores.size() * 9);
  double* d = out.Data();
  for (const CoreTimes& c : cores) {
    *d++ = c.core;
    *d++ = static_cast<double>(c.user);
    *d++ = static_cast<double>(c.nice);
    *d++ = static_cast<double>(c.system);
    *d++ = static_cast<double>(c.idle);
    *d++ = static_cast<double>(c.iowait);
    *d++ = static_cast<double>(c.irq);
    *d++ = static_cast<double>(c.softirq);
    *d++ = static_cast<double>(c.steal);
  }
  return out;
}

namespace {

// Names and one-letter states go to JS as one string each - one allocation instead of
// thousands of small ones. Names are joined by NUL, the one byte a comm can never hold.
template <typename T>
Napi::String JoinComms(Napi::Env env, const std::vector<T>& items) {
  std::string joined;
  joined.reserve(items.size() * 16);
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) joined.push_back('\0');
    joined.append(items[i].comm);
  }
  return Napi::String::New(env, joined);
}

template <typename T>
Napi::String States(Napi::Env env, const std::vector<T>& items) {
  std::string s;
  s.reserve(items.size());
  for (const T& t : items) s.push_back(t.state);
  return Napi::String::New(env, s);
}

}  // namespace

Napi::Object SweepToJs(Napi::Env env, const SweepSample& sample, bool threads) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("timestampNs", Napi::BigInt::New(env, sample.timestamp_ns));
  o.Set("clkTck", Napi::Number::New(env, static_cast<double>(sample.clk_tck)));
  o.Set("pageSize", Napi::Number::New(env, static_cast<double>(sample.page_size)));
  o.Set("cores", CoreTimesToJs(env, sample.cores));
  o.Set("threads", Napi::Boolean::New(env, threads));

  // 11 numbers per process: pid, ppid, uid, processor, startTime, utime, stime, rssPages,
  // cgroup index, first thread, thread count.
  auto procs = Napi::Float64Array::New(env, sample.processes.size() * 11);
  double* d = procs.Data();
  for (const ProcessSample& p : sample.processes) {
    *d++ = p.pid;
    *d++ = p.ppid;
    *d++ = p.uid;
    *d++ = p.processor;
    *d++ = static_cast<double>(p.start_time);
    *d++ = static_cast<double>(p.utime);
    *d++ = static_cast<double>(p.stime);
    *d++ = static_cast<double>(p.rss_pages);
    *d++ = p.cgroup;
    *d++ = p.first_thread;
    *d++ = p.thread_count;
  }
  o.Set("processes", procs);
  o.Set("processComms", JoinComms(env, sample.processes));
  o.Set("processStates", States(env, sample.processes));

  // 5 numbers per thread: tid, processor, startTime, utime, stime.
  auto ths = Napi::Float64Array::New(env, sample.threads.size() * 5);
  d = ths.Data();
  for (const ThreadSample& t : sample.threads) {
    *d++ = t.tid;
    *d++ = t.processor;
    *d++ = static_cast<double>(t.start_time);
    *d++ = static_cast<double>(t.utime);
    *d++ = static_cast<double>(t.stime);
  }
  o.Set("threadRecords", ths);
  o.Set("threadComms", JoinComms(env, sample.threads));
  o.Set("threadStates", States(env, sample.threads));

  auto cgroups = Napi::Array::New(env, sample.cgroups.size());
  for (size_t i = 0; i < sample.cgroups.size(); ++i) cgroups.Set(i, Napi::String::New(env, sample.cgroups[i]));
  o.Set("cgroups", cgroups);
  return o;
}

}  // namespace phantom
