// Zero-import WASI shims for the wasm32-unknown-unknown module.
//
// Luau's C++ links against wasi-libc, whose stdio and clock functions call a few WASI syscalls
// (`wasi_snapshot_preview1.*`). Defining wasi-libc's internal `__imported_wasi_*` entry points here
// keeps those calls inside the module, so it imports nothing and runs unchanged in wasmtime, Node
// and browsers. The module has no real I/O or clock: output written through libc is discarded and
// time is a fake counter. Real time and output must come from the host (pass the time into each
// run, capture Lua's `print`), never from libc.
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

// A fake clock that only moves forward (1 us per call): enough for Luau's os.clock/os.time to
// return sane, monotonic values without a host import.
static uint64_t fake_clock_ns;

int32_t __imported_wasi_snapshot_preview1_clock_time_get(int32_t clock_id, int64_t precision,
                                                         int32_t time) {
    fake_clock_ns += 1000;
    *(uint64_t *)(uintptr_t)time = fake_clock_ns;
    return WASI_ESUCCESS;
}

// Luau's os.clock() calls clock(), which wasi-libc only offers behind an emulation library.
// wasi-libc's CLOCKS_PER_SEC is 10^9, so clock() counts nanoseconds like the counter.
clock_t clock(void) {
    fake_clock_ns += 1000;
    return (clock_t)fake_clock_ns;
}

// libcxxabi calls this on fatal errors (e.g. an exception escaping noexcept); its own version
// prints to stderr first, which would drag in more of stdio. Trap instead.
void __abort_message(const char *format, ...) { __builtin_trap(); }
