//! The allocator, `cabi_realloc` and the panic handler a `no_std` component needs.
//!
//! Allocation bumps a pointer through pages taken with `memory.grow` and never frees: an instance
//! lives for one call. A refused `memory.grow` (the host's memory cap) traps in the host's
//! limiter, which dwim reports as E405.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::Cell;

struct Bump {
    next: Cell<usize>,
    end: Cell<usize>,
}

// SAFETY: a component instance is single-threaded.
unsafe impl Sync for Bump {}

const PAGE: usize = 65536;

unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let align = l.align().max(1);
        let start = (self.next.get() + align - 1) & !(align - 1);
        match start.checked_add(l.size()) {
            Some(end) if self.next.get() != 0 && end <= self.end.get() => {
                self.next.set(end);
                start as *mut u8
            }
            _ => {
                let Some(pages) = l.size().checked_add(align).map(|n| n.div_ceil(PAGE)) else { return core::ptr::null_mut() };
                let first = wasm32::memory_grow(0, pages);
                if first == usize::MAX {
                    return core::ptr::null_mut();
                }
                let base = first * PAGE;
                let start = (base + align - 1) & !(align - 1);
                self.next.set(start + l.size());
                self.end.set(base + pages * PAGE);
                start as *mut u8
            }
        }
    }
    unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
}

#[global_allocator]
static ALLOCATOR: Bump = Bump { next: Cell::new(0), end: Cell::new(0) };

/// The canonical ABI's allocator, through which the host writes a call's arguments.
#[no_mangle]
pub unsafe extern "C" fn cabi_realloc(old: *mut u8, old_len: usize, align: usize, new_len: usize) -> *mut u8 {
    if new_len == 0 {
        return align as *mut u8;
    }
    let Ok(layout) = Layout::from_size_align(new_len, align) else { wasm32::unreachable() };
    let p = ALLOCATOR.alloc(layout);
    if p.is_null() {
        wasm32::unreachable()
    }
    if !old.is_null() && old_len > 0 {
        core::ptr::copy_nonoverlapping(old, p, old_len.min(new_len));
    }
    p
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    wasm32::unreachable()
}


/// `memcmp`, which `wasm32-wasip2` expects from a libc this crate does not link.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        let (x, y) = (*a.add(i), *b.add(i));
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// `bcmp`: equality only, as LLVM may call it.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    memcmp(a, b, n)
}
