#ifndef KMS_CLINUX_SHIM_H
#define KMS_CLINUX_SHIM_H
#include <malloc.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sched.h>

// prctl(2) is variadic, which Swift cannot call; this fixed-arity wrapper makes the
// responder non-dumpable (no core files, no same-user ptrace) so key material stays in memory.
static inline int kms_disable_core_dumps(void) {
    struct rlimit none = {0, 0};
    int a = setrlimit(RLIMIT_CORE, &none);
    int b = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    return (a == 0 && b == 0) ? 0 : -1;
}

// glibc gives each thread that allocates its own arena (up to 8 per core), each holding on to
// freed memory; a responder with ~20 threads then keeps far more resident than it uses.
static inline void kms_limit_malloc_arenas(void) {
    mallopt(M_ARENA_MAX, 2);
}
// The wrapping-key pool's refill thread runs under SCHED_IDLE (Linux; pid 0 = the calling
// thread), so filling the pool uses only CPU no request wants and any request thread that wakes
// preempts it at once (under nice 19 a woken request could still wait). SCHED_IDLE needs _GNU_SOURCE.
#ifndef SCHED_IDLE
#define SCHED_IDLE 5
#endif
static inline int kms_lower_thread_priority(void) {
    struct sched_param none = {0};
    return sched_setscheduler(0, SCHED_IDLE, &none);
}
#endif
