#ifndef KMS_CLINUX_SHIM_H
#define KMS_CLINUX_SHIM_H
#include <malloc.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

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
// setpriority(2) sets one thread's nice value on Linux when given its thread id, which only the
// syscall (variadic) returns: the wrapping-key pool's refill thread runs at nice 19, so filling
// the pool uses CPU no request is waiting for.
static inline int kms_lower_thread_priority(void) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
}
#endif
