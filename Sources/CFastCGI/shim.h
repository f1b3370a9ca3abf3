#ifndef KMS_CFASTCGI_SHIM_H
#define KMS_CFASTCGI_SHIM_H
// Only the reentrant fcgiapp API: fcgi_stdio.h redefines stdio and is not thread-safe.
#include <fcgiapp.h>
#include <errno.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

// The connection poller of FastCGIServer. `struct epoll_event` is packed on x86_64, so Swift
// never touches one: these wrappers take and give plain descriptors.

// Watches `fd` for input: `add` registers it, otherwise re-arms it; `oneshot` disarms it after
// one report, so exactly one thread is woken for it until it is re-armed.
static inline int kms_poll_watch(int epfd, int fd, int oneshot, int add) {
    struct epoll_event event = {0};
    event.events = EPOLLIN | (oneshot ? EPOLLONESHOT : 0);
    event.data.fd = fd;
    return epoll_ctl(epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event);
}

// Waits for the next ready descriptor and returns it; -1 with errno on failure (EINTR).
static inline int kms_poll_next(int epfd) {
    struct epoll_event event;
    int n = epoll_wait(epfd, &event, 1, -1);
    return n == 1 ? event.data.fd : -1;
}

// Accepts a connection from the (non-blocking) listening socket; the connection blocks, as
// libfcgi's reads and writes expect, and is not inherited by a child process. -1 with errno.
// glibc declares accept4 only under _GNU_SOURCE, which would change other headers' types
// (fd_set) against the rest of the program's modules: its prototype, as glibc has it.
extern int accept4(int fd, struct sockaddr *addr, socklen_t *addr_len, int flags);
static inline int kms_accept(int listen_fd) {
    return accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
}

// What a ready connection holds: 1 input, 0 the peer closed it, -1 nothing yet, -2 an error.
static inline int kms_peek_input(int fd) {
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return 1;
    if (n == 0) return 0;
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? -1 : -2;
}
#endif
