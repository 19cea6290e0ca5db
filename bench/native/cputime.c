// LD_PRELOAD shim for the native and wasmtime drivers: Luau's os.clock() reads
// clock_gettime(CLOCK_MONOTONIC) natively (luau/VM/src/lperf.cpp), and in the module it reads the
// host's monotonic clock, which registry-host takes from Rust's Instant, that same call. Under
// this shim that clock reads the calling thread's CPU time instead, so the same os.clock() deltas
// give CPU time, like the other drivers' CPU figures and registry-core's criterion benches.
// Only on the process's main thread, which runs the scripts in run_script and registry-host:
// other threads (registry-host's time fence) keep the real clock, so their timed waits still
// end on time instead of spinning.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>
#include <unistd.h>

int clock_gettime(clockid_t id, struct timespec *ts) {
    static int (*real)(clockid_t, struct timespec *);
    static __thread int main_thread = -1;
    if (!real) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    if (main_thread < 0) main_thread = gettid() == getpid();
    if (id == CLOCK_MONOTONIC && main_thread) id = CLOCK_THREAD_CPUTIME_ID;
    return real(id, ts);
}
