//! The native CLI's allocator: the system's `malloc` (glibc on Linux), with the heap it grows asked
//! to be backed by transparent huge pages (`madvise(MADV_HUGEPAGE)`), which is what glibc does
//! itself when started with `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`, a setting a program cannot
//! give itself.
//!
//! Why: a long run keeps every record in its partitions' logs, a few hundred thousand small
//! allocations written once. Touched for the first time, each 4 KiB page costs the kernel a page
//! fault; an M/M/1 run spent a seventh of its time there (7,100 faults). With the heap in 2 MiB
//! pages the same run takes about 1,500. Nothing else changes: same allocator, same addresses'
//! order, same results (the engine never looks at addresses).
//!
//! How: glibc grows its main heap with `brk`. The heap is asked to grow by at least `GROWTH` at a
//! time (`M_TOP_PAD`) so that whole 2 MiB ranges lie inside it before they are touched, and each
//! time an allocation ends above what was advised so far, the new part of the heap is advised.
//! Large blocks glibc maps on their own (`mmap`) are advised when they span a huge page.
//! Where the kernel has transparent huge pages off, `madvise` does nothing and this is plain glibc.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

const HUGE_PAGE: usize = 2 << 20;
const PAGE: usize = 4096;
/// How much the heap grows at least each time glibc extends it.
const GROWTH: usize = 32 << 20;

pub struct HugeHeap {
    /// End of the part of the heap advised so far (0 before the first allocation).
    advised: AtomicUsize,
}

impl HugeHeap {
    pub const fn new() -> HugeHeap {
        HugeHeap { advised: AtomicUsize::new(0) }
    }

    #[inline]
    fn note(&self, p: *mut u8, size: usize) {
        if !p.is_null() && p as usize + size > self.advised.load(Ordering::Relaxed) {
            self.advise(p as usize, size);
        }
    }

    #[cold]
    fn advise(&self, p: usize, size: usize) {
        // SAFETY: `sbrk(0)` only reads the current break; `mallopt` sets glibc's own parameters;
        // `madvise(MADV_HUGEPAGE)` on memory this process has mapped changes how the kernel backs
        // it, never its contents, and fails harmlessly on anything else.
        unsafe {
            let advised = self.advised.load(Ordering::Relaxed);
            if advised == 0 {
                libc::mallopt(libc::M_TOP_PAD, GROWTH as libc::c_int);
                libc::mallopt(libc::M_TRIM_THRESHOLD, (2 * GROWTH) as libc::c_int);
            }
            let brk = libc::sbrk(0) as usize;
            if p < brk && brk > advised {
                // The heap grew: advise its new part (all of it the first time).
                let from = if advised == 0 { p & !(PAGE - 1) } else { advised };
                libc::madvise(from as *mut libc::c_void, brk - from, libc::MADV_HUGEPAGE);
                self.advised.store(brk, Ordering::Relaxed);
            } else if size >= HUGE_PAGE && p >= brk {
                // A block glibc mapped on its own.
                let start = (p + HUGE_PAGE - 1) & !(HUGE_PAGE - 1);
                let end = (p + size) & !(HUGE_PAGE - 1);
                if end > start {
                    libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
                }
            }
        }
    }
}

impl Default for HugeHeap {
    fn default() -> Self {
        HugeHeap::new()
    }
}

// SAFETY: every call is passed to `System` unchanged; `note` only advises the kernel afterwards.
unsafe impl GlobalAlloc for HugeHeap {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        self.note(p, layout.size());
        p
    }
    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        self.note(p, layout.size());
        p
    }
    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        System.dealloc(p, layout)
    }
    #[inline]
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = System.realloc(p, layout, new_size);
        self.note(q, new_size);
        q
    }
}
