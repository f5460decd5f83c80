//! The allocator both dwim plugin SDKs install (the core-module SDK in `../sdk`, the component SDK
//! in `../components/sdk`).
//!
//! A dwim plugin instance lives for one call, so memory is never given back: allocation bumps a
//! pointer, and only the most recent block can be freed or grown in place (which is what a growing
//! `Vec` or `String` does). It starts in the space the module's initial memory already has after
//! `__heap_base`, and takes more with `memory.grow` only when that runs out, so a small call never
//! grows memory (each growth costs the host two `mprotect`s on the next instantiation: measured in
//! `cargo bench --bench wasm`). A refused `memory.grow` (the host's memory cap) makes an
//! allocation return null; the host reports the trap that follows as E405.
#![no_std]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;

const PAGE: usize = 65536;
/// Pages asked for at least, when memory must grow: fewer growths for a growing buffer.
const MIN_GROW_PAGES: usize = 4;

pub struct Bump {
    /// The first free byte; 0 until the first allocation. (The end is `memory.size`, one instruction.)
    next: Cell<usize>,
}

// SAFETY: a plugin instance is single-threaded.
unsafe impl Sync for Bump {}

impl Bump {
    pub const fn new() -> Bump {
        Bump { next: Cell::new(0) }
    }

    fn start(&self) {
        if self.next.get() == 0 {
            self.next.set(heap_base());
        }
    }

    /// Make `[.., upto)` addressable, growing memory when needed.
    fn reach(&self, upto: usize) -> bool {
        let end = memory_bytes();
        if upto <= end {
            return true;
        }
        let need = (upto - end).div_ceil(PAGE);
        grow(need.max(MIN_GROW_PAGES)) || (need < MIN_GROW_PAGES && grow(need))
    }
}

impl Default for Bump {
    fn default() -> Self {
        Bump::new()
    }
}

unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        self.start();
        let align = l.align().max(1);
        let Some(start) = self.next.get().checked_add(align - 1).map(|n| n & !(align - 1)) else { return core::ptr::null_mut() };
        let Some(end) = start.checked_add(l.size()) else { return core::ptr::null_mut() };
        if !self.reach(end) {
            return core::ptr::null_mut();
        }
        self.next.set(end);
        start as *mut u8
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // Only the top block goes back.
        if (p as usize).checked_add(l.size()) == Some(self.next.get()) {
            self.next.set(p as usize);
        }
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        let at = p as usize;
        if at.checked_add(l.size()) == Some(self.next.get()) {
            // The top block grows or shrinks in place.
            let Some(end) = at.checked_add(new_size) else { return core::ptr::null_mut() };
            if self.reach(end) {
                self.next.set(end);
                return p;
            }
            return core::ptr::null_mut();
        }
        if new_size <= l.size() {
            return p;
        }
        // SAFETY: the layout's alignment is valid (it came from a valid layout) and the size is non-zero.
        let new = self.alloc(Layout::from_size_align_unchecked(new_size, l.align()));
        if !new.is_null() {
            core::ptr::copy_nonoverlapping(p, new, l.size());
        }
        new
    }
}

#[cfg(target_arch = "wasm32")]
fn heap_base() -> usize {
    extern "C" {
        static __heap_base: u8;
    }
    // The linker defines `__heap_base`; only its address is taken.
    core::ptr::addr_of!(__heap_base) as usize
}
#[cfg(target_arch = "wasm32")]
fn memory_bytes() -> usize {
    core::arch::wasm32::memory_size(0) * PAGE
}
#[cfg(target_arch = "wasm32")]
fn grow(pages: usize) -> bool {
    core::arch::wasm32::memory_grow(0, pages) != usize::MAX
}

// Off wasm (the SDKs' own unit tests on the host) there is no linear memory: nothing to hand out.
#[cfg(not(target_arch = "wasm32"))]
fn heap_base() -> usize {
    PAGE
}
#[cfg(not(target_arch = "wasm32"))]
fn memory_bytes() -> usize {
    0
}
#[cfg(not(target_arch = "wasm32"))]
fn grow(_: usize) -> bool {
    false
}
