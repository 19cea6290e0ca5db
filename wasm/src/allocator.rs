//! One allocator for the whole module: Rust allocates through wasi-libc's `malloc`, as Luau's C++
//! does. Two allocators in one linear memory corrupt each other: wasi-libc's claims the memory
//! between `__heap_base` and the end of memory when it starts, which can include pages that
//! Rust's own allocator has already handed out.
#![allow(unsafe_code)]

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
            unsafe { malloc(layout.size()).cast() }
        } else {
            let size = layout.size().next_multiple_of(layout.align());
            unsafe { aligned_alloc(layout.align(), size).cast() }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        unsafe { free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            return unsafe { realloc(ptr.cast(), new_size).cast() };
        }
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
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
