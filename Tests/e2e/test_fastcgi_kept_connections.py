"""Kept FastCGI connections (nginx/nginx.conf.template: `keepalive 32` + `fastcgi_keep_conn on`;
Sources/KMSFastCGI/FastCGIServer.swift): the responder polls the connections nginx keeps open
between requests, so an idle one holds no thread.

libfcgi's own accept loop binds a thread to a kept connection until nginx closes it: with more
kept connections than threads, a request on a connection no thread holds waits for ever (or
until a held one closes). These tests talk FastCGI to the front lane's socket directly, as nginx
does, with more connections than the lane has threads, and use each one in an order a bound
thread could not follow. The requests are health probes (`KMS_PROBE`, as nginx's /healthz
location sets it): no signature, no database."""

import os
import socket
import struct
import time

from test_front_lane import responder_settings

VERSION = 1
BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6
RESPONDER, KEEP_CONN = 1, 1


def record(kind, request_id, content=b""):
    return struct.pack(">BBHHBB", VERSION, kind, request_id, len(content), 0, 0) + content


def pair(name, value):
    # Names and values here are shorter than 128 bytes: one length byte each.
    return bytes([len(name), len(value)]) + name + value


def probe_request(request_id, keep):
    params = pair(b"KMS_PROBE", b"healthz") + pair(b"REQUEST_METHOD", b"GET")
    return (record(BEGIN_REQUEST, request_id, struct.pack(">HB5x", RESPONDER, KEEP_CONN if keep else 0))
            + record(PARAMS, request_id, params) + record(PARAMS, request_id)
            + record(STDIN, request_id))


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        assert chunk, f"the responder closed the connection after {len(data)} of {n} bytes"
        data += chunk
    return data


def read_answer(sock, request_id):
    """The STDOUT of one request, up to its END_REQUEST (whose protocol status must be 0)."""
    out = b""
    while True:
        _, kind, rid, length, padding, _ = struct.unpack(">BBHHBB", read_exactly(sock, 8))
        content = read_exactly(sock, length + padding)[:length]
        assert rid == request_id, f"answer for request {rid}, want {request_id}"
        if kind == STDOUT:
            out += content
        elif kind == END_REQUEST:
            assert content[4] == 0, f"protocol status {content[4]}"
            return out


def ask(sock, request_id, keep=True):
    sock.sendall(probe_request(request_id, keep))
    answer = read_answer(sock, request_id)
    assert answer.startswith(b"Status: 200"), answer
    assert answer.endswith(b"\r\n\r\nok\n"), answer


def connect(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)  # a request no thread takes fails the test instead of hanging it
    sock.connect(path)
    return sock


def front_socket(home):
    _, front = responder_settings(home)
    return os.path.join(home, "run", "fcgi", "front.sock"), front


def test_more_kept_connections_than_threads_are_all_served(kms_env):
    path, threads = front_socket(kms_env.home)
    connections = [connect(path) for _ in range(threads + 3)]
    try:
        # Each connection in turn, then in reverse, then every other one: a thread that kept
        # serving the connection it first took would leave the later ones unanswered.
        order = list(range(len(connections)))
        for n, i in enumerate(order + order[::-1] + order[::2]):
            ask(connections[i], n + 1)
    finally:
        for sock in connections:
            sock.close()


def test_a_kept_connection_stays_open_and_an_unkept_one_is_closed(kms_env):
    path, _ = front_socket(kms_env.home)
    with connect(path) as kept:
        ask(kept, 1)
        ask(kept, 2)  # the same connection, a second request
    with connect(path) as once:
        ask(once, 1, keep=False)
        assert once.recv(1) == b"", "the responder kept a connection nginx did not ask it to keep"


def test_connections_closed_by_nginx_free_nothing_needed(kms_env):
    """nginx closes idle kept connections (its keepalive_timeout): many opened, used and closed
    leave the lane answering, and no descriptor behind (the responder's count of open files
    returns to where it was)."""
    path, _ = front_socket(kms_env.home)

    def open_descriptors():
        pid = open(os.path.join(kms_env.home, "run", "responder.pid")).read().split()[0]
        return len(os.listdir(f"/proc/{pid}/fd"))

    with connect(path) as warm:
        ask(warm, 1)
    before = open_descriptors()
    for _ in range(5):
        batch = [connect(path) for _ in range(20)]
        for n, sock in enumerate(batch):
            ask(sock, n + 1)
        for sock in batch:
            sock.close()
    with connect(path) as after:
        ask(after, 1)
    # The responder closes a connection when it sees nginx's end of it; give it a moment.
    for _ in range(50):
        if open_descriptors() <= before + 2:
            break
        time.sleep(0.1)
    assert open_descriptors() <= before + 2, f"{open_descriptors()} descriptors open, {before} before"
