//! The process's memory, where glibc's allocator needs telling how a long-running console uses it.

/// glibc's allocator is tuned for servers: an arena per thread (up to 8 per core), and a
/// threshold for handing big blocks straight to the kernel that rises as big blocks are freed.
/// A wall decodes megabyte answers every minute for months; with fixed thresholds those
/// buffers go back to the system when freed instead of fragmenting the heap (peak RSS on the
/// large estate: 30.6 → 28.8 MB, BENCHMARKS.md §6). One arena: a console has one worker
/// thread beside its own, and a second arena held the worker's answers apart from the heap
/// they end up in, 0.8 MB more at the peak (§16). Called first in `main`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn keep_small() {
    const BIG_BLOCK: libc::c_int = 128 * 1024;
    // SAFETY: mallopt only sets allocator parameters, and this runs first in `main`, before any
    // other thread exists or anything was allocated on another arena.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, BIG_BLOCK);
        libc::mallopt(libc::M_TRIM_THRESHOLD, BIG_BLOCK);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn keep_small() {}

/// Gives the kernel back the pages freed inside the heap. glibc returns only the heap's top;
/// a refresh frees the answer before it in the middle, and those pages stay resident until
/// reused. Called after a panel's refresh (a few times a minute, tens of microseconds each),
/// so the next refresh starts from what is live (BENCHMARKS.md §16).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn give_back_freed() {
    // SAFETY: malloc_trim only releases free memory the allocator holds; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back_freed() {}
