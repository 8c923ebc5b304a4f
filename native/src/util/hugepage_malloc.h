// Huge-page malloc for the native binaries. Every fresh large tensor pays first-touch page faults
// (measured ~13 µs per 4 KiB page on the 2-core dev VM: 0.67 s for a 206 MB logits tensor before
// any arithmetic), and glibc trims and re-grows its heap around tensors freed and reallocated each
// step. glibc ≥ 2.35 can back malloc with transparent huge pages (GLIBC_TUNABLES=
// glibc.malloc.hugetlb=1: 2 MiB pages, 512× fewer faults), but tunables are read only when the
// process starts, so a binary that finds the tunable unset sets it and re-executes itself once.
// The JVM gets it from the `seqmatch` launcher instead (docs/PERFORMANCE.md, "Memory").
// SEQMATCH_HUGEPAGE_MALLOC=0 turns it off (to measure without); an explicit
// glibc.malloc.hugetlb=N in GLIBC_TUNABLES is kept as is. Test: scripts/bench/peer.sh measures both.
#pragma once

namespace seqmatch {
namespace util {

// Call first thing in main(): returns if the tunable is set (or disabled, or on failure to
// re-execute, which only costs speed); otherwise does not return.
void ensure_hugepage_malloc(char** argv);

}  // namespace util
}  // namespace seqmatch
