# `scripts/kms bench --cluster`: Encrypt through the load balancer with 1, 2 and 3 responder hosts.
# Sourced by scripts/kms; cmd_bench hands over to cmd_bench_cluster when it sees --cluster.
#
# Brings up a cluster of its own (`scripts/kms cluster up --responders 3`, rate limiting off) in a
# throw-away KMS_CLUSTER_HOME with its own namespace prefix, subnet and ports, so it collides with
# neither a single-host stack nor another cluster; hands over to bench/clusterbench.py, which
# measures and writes the cluster section of BENCHMARKS.md; takes the cluster down (namespaces,
# links, bridge, processes) and removes the directory it made, whatever happens.

BENCH_CLUSTER_HOME=
BENCH_CLUSTER_MADE=0
BENCH_CLUSTER_PY_PID=

bench_cluster_usage() {
    cat <<'EOF'
Usage: scripts/kms bench --cluster [--quick] [--keep]

Brings up its own cluster (scripts/kms cluster up --responders 3 --standbys 1, rate limiting
off; needs root), drives Encrypt with wrk through HAProxy with 1, 2 and 3 responder hosts in the
pool (HAProxy's runtime socket, `set server … state maint`), and straight to one host's nginx,
at 8, 32 and 64 connections; reports req/s, p50/p99, per-host req/s, PostgreSQL work per
request, CPU seconds per 1,000 requests of every process group (haproxy, nginx, responder,
postgres, patroni, etcd, wrk, other) and a projection for N hosts on separate machines. Writes
the cluster section of BENCHMARKS.md (the rest of the file is the single-host bench's) and
bench/results/cluster-results.json. Takes ~4 min (~1.5 min with --quick) besides `cluster up`.

Then the failover phase: Encrypt (cached keys) at a fixed rate and CreateKey through HAProxy
while the PostgreSQL primary is killed (`cluster kill`, SIGKILL); reports the time from the kill
to the promotion, to the first acknowledged write and to Encrypt healthy again, the latency of
the requests in flight at the kill and how they ended, errors by code, and checks that every
acknowledged CreateKey is on the new primary (DescribeKey; one lost fails the run). Chart:
docs/bench-failover.png. ~1 min.
  --quick   3 s runs at 32 connections only (for trying it out: its figures are not the
            committed ones)
  --keep    leave the cluster running afterwards (its KMS_CLUSTER_HOME is printed)

Exit status: 0 if every run was clean (no errors, no request answered by a host out of the
pool, no acknowledged CreateKey lost in the failover), 1 otherwise.

Environment: KMS_BENCH_CLUSTER_HOME (default a fresh /tmp/kms-bench-cluster.XXXXXX, removed at
the end), KMS_BENCH_CLUSTER_NAME (kbench), KMS_BENCH_CLUSTER_SUBNET (10.219.0),
KMS_BENCH_CLUSTER_HTTP_PORT (28280), KMS_BENCH_CLUSTER_HTTPS_PORT (28643),
KMS_BENCH_DURATION (10, 3 with --quick) seconds per run, KMS_BENCH_CONCURRENCIES (8,32,64),
KMS_BENCH_WAIT_QUIET as for bench; KMS_BENCH_CLUSTER_REPORT (the file that gets the section,
default BENCHMARKS.md; the chart goes to docs/ beside it); KMS_BENCH_CLUSTER_PHASES
(throughput,failover: the phases to run; the section keeps the text of the others);
KMS_CACHE_STALE_SECONDS for the bench cluster's responders (30; 0 for the rule before the
staleness window); KMS_SKIP_BUILD, KMS_RESPONDER_BIN, KMS_CTL_BIN as for up.
EOF
}

bench_cluster_teardown() {
    local rc=$?
    if [[ -n $BENCH_CLUSTER_PY_PID ]] && kill -0 "$BENCH_CLUSTER_PY_PID" 2>/dev/null; then
        kill -TERM "$BENCH_CLUSTER_PY_PID" 2>/dev/null
        wait_gone "$BENCH_CLUSTER_PY_PID" 10 || kill -KILL "$BENCH_CLUSTER_PY_PID" 2>/dev/null
    fi
    BENCH_CLUSTER_PY_PID=
    [[ -n $BENCH_CLUSTER_HOME ]] || return "$rc"
    if ((BENCH_KEEP)); then
        say "--keep: the bench cluster keeps running (stop it with KMS_CLUSTER_HOME=$BENCH_CLUSTER_HOME scripts/kms cluster down)"
        return "$rc"
    fi
    say "tearing down the bench cluster ($BENCH_CLUSTER_HOME)"
    "$SELF" cluster down >/dev/null 2>&1 || warn "cluster down of the bench cluster failed"
    # Only ever remove what mktemp made for us.
    ((BENCH_CLUSTER_MADE)) && [[ $BENCH_CLUSTER_HOME == /tmp/kms-bench-cluster.* ]] && rm -rf -- "$BENCH_CLUSTER_HOME"
    BENCH_CLUSTER_HOME=
    return "$rc"
}

cmd_bench_cluster() {
    local quick=0
    while (($#)); do
        case $1 in
        --quick) quick=1 ;;
        --keep) BENCH_KEEP=1 ;;
        -h | --help) bench_cluster_usage; return 0 ;;
        *) bench_cluster_usage >&2; die "unknown option for bench --cluster: $1" ;;
        esac
        shift
    done
    is_root || die "bench --cluster needs root (the cluster's network namespaces and bridge)"

    export KMS_CLUSTER_NAME=${KMS_BENCH_CLUSTER_NAME:-kbench}
    export KMS_CLUSTER_SUBNET=${KMS_BENCH_CLUSTER_SUBNET:-10.219.0}
    export KMS_CLUSTER_HTTP_PORT=${KMS_BENCH_CLUSTER_HTTP_PORT:-28280}
    export KMS_CLUSTER_HTTPS_PORT=${KMS_BENCH_CLUSTER_HTTPS_PORT:-28643}
    local port
    for port in "$KMS_CLUSTER_HTTP_PORT" "$KMS_CLUSTER_HTTPS_PORT"; do
        [[ $port =~ ^[0-9]+$ ]] && ((port >= 1 && port <= 65535)) || die "not a TCP port: $port"
        port_in_use "$port" && die "127.0.0.1:$port is in use (choose KMS_BENCH_CLUSTER_HTTP_PORT / KMS_BENCH_CLUSTER_HTTPS_PORT)"
    done
    # Another cluster with this prefix (a bench still running, or one left behind) would be
    # taken over by `cluster up`: refuse instead.
    ip link show "$KMS_CLUSTER_NAME-br" >/dev/null 2>&1 &&
        die "a cluster named '$KMS_CLUSTER_NAME' is running (bridge $KMS_CLUSTER_NAME-br); choose KMS_BENCH_CLUSTER_NAME or take it down"

    ensure_apt_packages wrk
    command -v python3 >/dev/null 2>&1 || ensure_apt_packages python3
    build_release

    if [[ -n ${KMS_BENCH_CLUSTER_HOME:-} ]]; then
        BENCH_CLUSTER_HOME=$(realpath -m "$KMS_BENCH_CLUSTER_HOME")
        make_dir "$BENCH_CLUSTER_HOME" root:root 0755
    else
        BENCH_CLUSTER_HOME=$(mktemp -d /tmp/kms-bench-cluster.XXXXXX)
        BENCH_CLUSTER_MADE=1
        chmod 0755 "$BENCH_CLUSTER_HOME" # the service users walk down to their files
    fi
    export KMS_CLUSTER_HOME=$BENCH_CLUSTER_HOME
    trap bench_cluster_teardown EXIT
    trap 'exit 130' INT TERM

    say "bringing up the bench cluster (3 responder hosts, rate limiting and CPU budget off) in $KMS_CLUSTER_HOME: namespaces $KMS_CLUSTER_NAME-*, $KMS_CLUSTER_SUBNET.0/24, load balancer 127.0.0.1:$KMS_CLUSTER_HTTP_PORT"
    # KMS_WORKERS passes through (the product default unless set), as for the single-host bench.
    KMS_RATE_LIMIT=0 KMS_CPU_BUDGET=0 KMS_SKIP_BUILD=1 "$SELF" cluster up --responders 3 --standbys 1 \
        >"$KMS_CLUSTER_HOME/up.log" 2>&1 ||
        { tail -n 30 "$KMS_CLUSTER_HOME/up.log" >&2; die "the bench cluster did not come up (log above)"; }

    local rc=0
    KMS_BENCH_REPO=$REPO \
        KMS_BENCH_SELF=$SELF \
        KMS_BENCH_CLUSTER_RESPONDERS=3 \
        KMS_BENCH_HOST_HTTP_PORT=$HOST_HTTP_PORT \
        KMS_BENCH_PG_BIN=$PG_BIN \
        KMS_BENCH_QUICK=$quick \
        python3 "$REPO/bench/clusterbench.py" &
    # In the background so that INT/TERM reach the trap at once (the teardown stops it first).
    BENCH_CLUSTER_PY_PID=$!
    wait "$BENCH_CLUSTER_PY_PID" || rc=$?
    BENCH_CLUSTER_PY_PID=
    return "$rc"
}
