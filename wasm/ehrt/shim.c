// Zero-import WASI shims for the wasm32-unknown-unknown module.
//
// Luau's C++ links against wasi-libc, whose stdio and clock functions call a few WASI syscalls
// (`wasi_snapshot_preview1.*`). Defining wasi-libc's internal `__imported_wasi_*` entry points here
// keeps those calls inside the module, so it imports nothing of WASI and runs unchanged in
// wasmtime, Node and browsers. Output written through libc is discarded (Lua's `print` is
// captured by the runner); the clocks are the host's, through the module's own imports
// (wasm/src/host.rs).
#include <stdint.h>
#include <time.h>

#define WASI_ESUCCESS 0
#define WASI_EBADF 8
#define WASI_ESPIPE 70

typedef struct {
    uint32_t buf;
    uint32_t buf_len;
} wasi_ciovec;

// fd_write: report every byte as written, so printf/fputs succeed, and drop them.
int32_t __imported_wasi_snapshot_preview1_fd_write(int32_t fd, int32_t iovs, int32_t iovs_len,
                                                   int32_t nwritten) {
    const wasi_ciovec *vec = (const wasi_ciovec *)(uintptr_t)iovs;
    uint32_t total = 0;
    for (int32_t i = 0; i < iovs_len; i++) total += vec[i].buf_len;
    *(uint32_t *)(uintptr_t)nwritten = total;
    return WASI_ESUCCESS;
}

// No file descriptors exist: closing, inspecting or seeking one fails like a bad/unseekable fd.
int32_t __imported_wasi_snapshot_preview1_fd_close(int32_t fd) { return WASI_EBADF; }
int32_t __imported_wasi_snapshot_preview1_fd_fdstat_get(int32_t fd, int32_t stat) { return WASI_EBADF; }
int32_t __imported_wasi_snapshot_preview1_fd_seek(int32_t fd, int64_t offset, int32_t whence,
                                                  int32_t newoffset) {
    return WASI_ESPIPE;
}

// The host's clocks in milliseconds, defined in wasm/src/host.rs.
double registry_monotonic_ms(void);
double registry_wall_clock_ms(void);

#define WASI_CLOCK_REALTIME 0

static uint64_t ms_to_ns(double ms) { return ms > 0 ? (uint64_t)(ms * 1e6) : 0; }

// The realtime clock is the wall clock (libc's time(), which only seeds math.random: the runner
// gives scripts the run's time instead); the others are the monotonic clock.
int32_t __imported_wasi_snapshot_preview1_clock_time_get(int32_t clock_id, int64_t precision,
                                                         int32_t time) {
    double ms = clock_id == WASI_CLOCK_REALTIME ? registry_wall_clock_ms() : registry_monotonic_ms();
    *(uint64_t *)(uintptr_t)time = ms_to_ns(ms);
    return WASI_ESUCCESS;
}

// Luau's os.clock() calls clock(), which wasi-libc only offers behind an emulation library.
// wasi-libc's CLOCKS_PER_SEC is 10^9, so clock() counts nanoseconds of the monotonic clock.
clock_t clock(void) { return (clock_t)ms_to_ns(registry_monotonic_ms()); }

// musl's frexp leaves the exponent unset for infinities and NaN, and Luau's math.frexp reads it;
// glibc (native Luau) sets it to 0. The same algorithm otherwise: the mantissa in [0.5, 1).
double frexp(double x, int *e) {
    union {
        double d;
        uint64_t i;
    } y = {x};
    int exponent = (int)(y.i >> 52 & 0x7ff);
    if (exponent == 0x7ff || x == 0) {
        *e = 0;
        return x;
    }
    if (exponent == 0) { // subnormal: scale into the normal range first
        x = frexp(x * 0x1p64, e);
        *e -= 64;
        return x;
    }
    *e = exponent - 0x3fe;
    y.i &= 0x800fffffffffffffull;
    y.i |= 0x3fe0000000000000ull;
    return y.d;
}

// libcxxabi calls this on fatal errors (e.g. an exception escaping noexcept); its own version
// prints to stderr first, which would drag in more of stdio. Trap instead.
void __abort_message(const char *format, ...) { __builtin_trap(); }
