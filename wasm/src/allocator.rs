//! One allocator for the whole module: Rust allocates through wasi-libc's `malloc`, as Luau's C++
//! does. Two allocators in one linear memory corrupt each other: wasi-libc's claims the memory
//! between `__heap_base` and the end of memory when it starts, which can include pages that
//! Rust's own allocator has already handed out.
#![expect(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

unsafe extern "C" {
    fn malloc(size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
    fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn aligned_alloc(align: usize, size: usize) -> *mut c_void;
}

/// What `malloc` guarantees on wasm32 (dlmalloc: two pointer sizes).
const MALLOC_ALIGN: usize = 8;

struct LibcAllocator;

// SAFETY: malloc/free/realloc/aligned_alloc implement the C allocation contract, which covers
// GlobalAlloc's; larger alignments go through aligned_alloc with a size rounded to the alignment.
unsafe impl GlobalAlloc for LibcAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: malloc takes any size; its blocks are aligned to MALLOC_ALIGN, enough here.
            unsafe { malloc(layout.size()).cast() }
        } else {
            let size = layout.size().next_multiple_of(layout.align());
            // SAFETY: the alignment is a power of two (Layout's invariant) and the size a multiple
            // of it, as aligned_alloc requires.
            unsafe { aligned_alloc(layout.align(), size).cast() }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: GlobalAlloc's caller passes a block this allocator returned, which came from
        // malloc, aligned_alloc or realloc: free accepts each of them.
        unsafe { free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            // SAFETY: ptr came from malloc or realloc (alignments up to MALLOC_ALIGN), and
            // realloc keeps malloc's alignment.
            return unsafe { realloc(ptr.cast(), new_size).cast() };
        }
        // SAFETY: the alignment is layout's, a power of two; GlobalAlloc::realloc's caller
        // promises that new_size rounded up to it does not overflow isize.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: new_layout has a non-zero size, as GlobalAlloc::realloc's caller promises.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are live and distinct, each at least the copied length long;
            // ptr was allocated here with `layout` and is not used after it is freed.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: LibcAllocator = LibcAllocator;
