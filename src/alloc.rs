//! The allocator setting shared by the `dwim` binary and the benches, whose global allocator is
//! mimalloc.

/// `mi_option_purge_delay` in mimalloc v3 (the version the pinned `mimalloc` crate builds).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Turn mimalloc's purging off, so freed pages are reused rather than handed back to the OS and
/// faulted in again (candle allocates a fresh buffer for every tensor op). Only matters in a binary
/// whose global allocator is mimalloc (`dwim`, the benches); call before spawning threads.
pub fn keep_freed_pages() {
    // SAFETY: a plain option setter of the C library, with a valid option and value.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}
