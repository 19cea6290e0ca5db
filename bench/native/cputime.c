// LD_PRELOAD shim for the native driver: Luau's os.clock() reads clock_gettime(CLOCK_MONOTONIC)
// (luau/VM/src/lperf.cpp); under this shim that clock reads the calling thread's CPU time
// instead, so the same os.clock() deltas give CPU time, like the other drivers' CPU figures and
// registry-core's criterion benches. Nothing else in run_script reads that clock.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>

int clock_gettime(clockid_t id, struct timespec *ts) {
    static int (*real)(clockid_t, struct timespec *);
    if (!real) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    if (id == CLOCK_MONOTONIC) id = CLOCK_THREAD_CPUTIME_ID;
    return real(id, ts);
}
