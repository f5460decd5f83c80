//! The allocator, `cabi_realloc` and the panic handler a `no_std` component needs.
//!
//! The allocator is `dwim-sdk-alloc`'s bump allocator (shared with the core-module SDK): an instance
//! lives for one call. A refused `memory.grow` (the host's memory cap) traps in the host's
//! limiter, which dwim reports as E405.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;

#[global_allocator]
static ALLOCATOR: dwim_sdk_alloc::Bump = dwim_sdk_alloc::Bump::new();

/// The canonical ABI's allocator, through which the host writes a call's arguments.
#[no_mangle]
pub unsafe extern "C" fn cabi_realloc(old: *mut u8, old_len: usize, align: usize, new_len: usize) -> *mut u8 {
    if new_len == 0 {
        return align as *mut u8;
    }
    let p = if old.is_null() || old_len == 0 {
        let Ok(layout) = Layout::from_size_align(new_len, align) else { wasm32::unreachable() };
        ALLOCATOR.alloc(layout)
    } else {
        // The top block grows in place (a list the host fills element by element).
        let Ok(layout) = Layout::from_size_align(old_len, align) else { wasm32::unreachable() };
        ALLOCATOR.realloc(old, layout, new_len)
    };
    if p.is_null() {
        wasm32::unreachable()
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
