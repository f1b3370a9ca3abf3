/*
 * trivial_fcgi — the benchmark's FastCGI ceiling: a multi-threaded libfcgi responder that
 * answers every request with the same small JSON document. It is a bench tool, not part of
 * the product; `scripts/kms bench` builds it with gcc against libfcgi and puts it behind
 * the same nginx FastCGI settings as the real responder.
 *
 * It does what any responder must do and nothing else: accept on a Unix socket (one
 * FCGX_Request per worker thread, every thread in FCGX_Accept_r on the shared socket, as
 * kms-responder does), read the parameters (libfcgi does that in accept) and the body,
 * write the header and the body, finish.
 *
 *   trivial_fcgi SOCKET WORKERS
 *
 * Stops on SIGTERM/SIGINT (the default action: it holds no state).
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BODY "{\"Response\":{\"RequestId\":\"x\"}}"
#define STR(x) #x
#define XSTR(x) STR(x)
/* 30 = strlen(BODY), checked at compile time below. */
#define BODY_LENGTH 30
_Static_assert(sizeof BODY - 1 == BODY_LENGTH, "BODY_LENGTH must match BODY");

/* The same head as kms-responder writes: Status, Content-Type, Content-Length. */
static const char RESPONSE[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: " XSTR(BODY_LENGTH) "\r\n"
    "\r\n" BODY;

static int listen_fd;

static void *worker(void *arg) {
    (void)arg;
    FCGX_Request request;
    char body[4096];
    if (FCGX_InitRequest(&request, listen_fd, 0) != 0) return NULL;
    while (FCGX_Accept_r(&request) >= 0) {
        /* Drain the body, as a real responder reads it. */
        while (FCGX_GetStr(body, sizeof body, request.in) > 0) {
        }
        FCGX_PutStr(RESPONSE, (int)(sizeof RESPONSE - 1), request.out);
        FCGX_Finish_r(&request);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SOCKET WORKERS\n", argv[0]);
        return 2;
    }
    int workers = atoi(argv[2]);
    if (workers < 1 || workers > 512) {
        fprintf(stderr, "trivial_fcgi: WORKERS must be 1..512\n");
        return 2;
    }
    if (FCGX_Init() != 0) {
        fprintf(stderr, "trivial_fcgi: FCGX_Init failed\n");
        return 1;
    }
    /* FCGX_Init installs libfcgi's own SIGTERM/SIGUSR1 handlers, which only make the next
     * accept fail; this tool is simply stopped: the default actions end it at once. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    unlink(argv[1]);
    listen_fd = FCGX_OpenSocket(argv[1], 1024); /* the same backlog as kms-responder */
    if (listen_fd < 0) {
        fprintf(stderr, "trivial_fcgi: cannot listen on %s\n", argv[1]);
        return 1;
    }
    chmod(argv[1], 0666); /* nginx's workers (www-data) connect; the directory is private to the bench */

    pthread_t *threads = calloc((size_t)workers, sizeof *threads);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1 << 20); /* as kms-responder's worker threads */
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&threads[i], &attr, worker, NULL) != 0) {
            fprintf(stderr, "trivial_fcgi: pthread_create failed\n");
            return 1;
        }
    }
    for (int i = 0; i < workers; i++) pthread_join(threads[i], NULL);
    return 0;
}
