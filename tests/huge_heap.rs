//! The CLI's allocator (`streamlab::huge_heap`): after a run's worth of small allocations on the main
//! thread (glibc's `brk` heap, where a log's batches live) and one large block (mapped on its own),
//! the kernel's map of the process shows both regions advised for huge pages (`hg` in `VmFlags`).
//! Without the test harness, so that the allocations come from the main thread's heap.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static ALLOCATOR: streamlab::huge_heap::HugeHeap = streamlab::huge_heap::HugeHeap::new();

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn main() {
    // As many 88-byte blocks as an M/M/1 run's log holds batches (35 MB), then a 64 MiB block (more than the heap grows by at once, so glibc maps it on its own).
    let small: Vec<Box<[u64; 11]>> = (0..400_000u64).map(|i| Box::new([i; 11])).collect();
    let big = vec![1u8; 64 << 20];
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("/proc/self/smaps is readable");
    let mut failed = false;
    for (what, addr) in [
        ("the first small block", &*small[0] as *const _ as usize),
        ("the last small block", &*small[small.len() - 1] as *const _ as usize),
        ("the large block", big.as_ptr() as usize + (32 << 20)),
    ] {
        match region(&smaps, addr) {
            None => {
                eprintln!("huge_heap: no mapping holds {what} at {addr:#x}");
                failed = true;
            }
            Some(r) => {
                let flags = field(r, "VmFlags:").unwrap_or("");
                let advised = flags.split_whitespace().any(|f| f == "hg");
                let huge_kb = field(r, "AnonHugePages:").unwrap_or("?");
                println!("huge_heap: {what} at {addr:#x}: VmFlags {flags}; AnonHugePages {huge_kb}");
                if !advised {
                    eprintln!("huge_heap: {what} is in a mapping not advised for huge pages (no `hg` flag)");
                    failed = true;
                }
            }
        }
    }
    // Keep the blocks alive until the map was read.
    assert_eq!(small[small.len() - 1][0] as usize + big[0] as usize, small.len());
    if failed {
        std::process::exit(1);
    }
    println!("huge_heap: ok");
}

/// The lines of the mapping of `/proc/self/smaps` that holds `addr`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn region(smaps: &str, addr: usize) -> Option<&str> {
    let mut start_of_region = None;
    let mut offset = 0;
    for line in smaps.split_inclusive('\n') {
        let head = line.split_whitespace().next().unwrap_or("");
        if let Some((a, b)) = head.split_once('-') {
            if let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) {
                if let Some(s) = start_of_region {
                    return Some(&smaps[s..offset]);
                }
                if a <= addr && addr < b {
                    start_of_region = Some(offset);
                }
            }
        }
        offset += line.len();
    }
    start_of_region.map(|s| &smaps[s..])
}

/// The value of the `name` line in one mapping's lines.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn field<'a>(region: &'a str, name: &str) -> Option<&'a str> {
    region.lines().find_map(|l| l.strip_prefix(name)).map(str::trim)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn main() {
    println!("huge_heap: the CLI uses the system allocator as it is on this platform; nothing to check");
}
