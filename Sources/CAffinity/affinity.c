// Linux CPU affinity for Swift (see include/distill_affinity.h).
#define _GNU_SOURCE
#include "distill_affinity.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/types.h>

/// CPU sets of this many CPUs: large machines have more than glibc's fixed 1024.
enum { LIMIT = 8192 };

int distill_affinity_limit(void) { return LIMIT; }

int distill_allowed_cpus(int *cpus, int capacity) {
    cpu_set_t *set = CPU_ALLOC(LIMIT);
    if (!set) return -ENOMEM;
    size_t size = CPU_ALLOC_SIZE(LIMIT);
    if (sched_getaffinity(0, size, set) != 0) {
        int error = errno;
        CPU_FREE(set);
        return -error;
    }
    int count = 0;
    for (int cpu = 0; cpu < LIMIT; cpu++) {
        if (!CPU_ISSET_S(cpu, size, set)) continue;
        if (count < capacity) cpus[count] = cpu;
        count++;
    }
    CPU_FREE(set);
    return count;
}

int distill_bind_process(const int *cpus, int count) {
    cpu_set_t *set = CPU_ALLOC(LIMIT);
    if (!set) return ENOMEM;
    size_t size = CPU_ALLOC_SIZE(LIMIT);
    CPU_ZERO_S(size, set);
    for (int i = 0; i < count; i++) {
        if (cpus[i] < 0 || cpus[i] >= LIMIT) {
            CPU_FREE(set);
            return EINVAL;
        }
        CPU_SET_S(cpus[i], size, set);
    }
    // The calling thread first, so an invalid set fails before any thread has moved.
    int result = sched_setaffinity(0, size, set) == 0 ? 0 : errno;
    DIR *tasks = result == 0 ? opendir("/proc/self/task") : NULL;
    if (result == 0 && !tasks) result = errno;
    if (tasks) {
        struct dirent *entry;
        while ((entry = readdir(tasks))) {
            char *end;
            long tid = strtol(entry->d_name, &end, 10);
            if (*end != '\0' || tid <= 0) continue;  // "." and ".."
            // A thread that ended since the listing is gone, not an error.
            if (sched_setaffinity((pid_t)tid, size, set) != 0 && errno != ESRCH && result == 0) result = errno;
        }
        closedir(tasks);
    }
    CPU_FREE(set);
    return result;
}
