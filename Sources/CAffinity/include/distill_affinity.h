#ifndef DISTILL_AFFINITY_H
#define DISTILL_AFFINITY_H

/// Linux CPU affinity, wrapped once for Swift (glibc declares these calls only under _GNU_SOURCE,
/// which Swift's Glibc module does not define).

/// The highest CPU number these calls handle, plus one.
int distill_affinity_limit(void);

/// Writes the CPUs the calling thread may run on, in increasing order, into `cpus` (at most
/// `capacity`) and returns how many there are, or -errno.
int distill_allowed_cpus(int *cpus, int capacity);

/// Restricts every thread of this process (each entry of /proc/self/task) to the `count` CPUs
/// in `cpus`; threads started later inherit the set. Returns 0, or the errno of the first call
/// that failed (EINVAL: a CPU outside 0..<distill_affinity_limit() or none this process may use).
int distill_bind_process(const int *cpus, int count);

#endif
