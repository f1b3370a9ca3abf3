# `scripts/kms bench`: the benchmark suite. Sourced by scripts/kms.
#
# Brings up its own stack in a throw-away KMS_HOME (rate limiting off), adds the two ceilings
# to that stack's nginx (a static `return 200` and a trivial C FastCGI responder, behind the
# product's own FastCGI settings), then hands over to bench/kmsbench.py, which creates the
# accounts and keys, drives every measured action with wrk and writes BENCHMARKS.md and the
# chart. Everything it started is stopped and its KMS_HOME removed at the end, whatever happens.

BENCH_PACKAGES=(wrk gcc libfcgi-dev valgrind strace)
BENCH_PYTHON_MODULES="import cryptography, matplotlib"
BENCH_PYTHON_PACKAGES=(cryptography matplotlib)

BENCH_HOME=
BENCH_KEEP=0
TRIVIAL_PID=
BASELINE_PID=
BENCH_PY_PID=

bench_usage() {
    cat <<'EOF'
Usage: scripts/kms bench [--quick] [--no-profile] [--keep] [--baseline REV]
       scripts/kms bench --cluster [--quick] [--keep]   (see `bench --cluster --help`)

Brings up a private stack in /tmp/kms-bench.XXXXXX, measures it with wrk and prints the table;
writes BENCHMARKS.md, the charts docs/bench-{encrypt,ceiling,features,targets}.png and the raw
results in bench/results/. Besides every action, it measures
  - the honest ceiling: the trivial FastCGI responder behind a minimal nginx of its own
    (worker_processes auto, access_log off), swept over 4/8/16 responder threads without
    upstream keep-alive and 32/48 threads with keepalive 16 + fastcgi_keep_conn, wrk -t1/-t2
    -c32 (about 110 s); the fastest clean point is what Encrypt and Decrypt are judged against;
  - the cost of each safety feature (replay memory, per-account budgets, metrics, JSON request
    log): Encrypt on a responder with the feature off beside one with everything on, ABBA.
  --quick        short runs and 10 x 100 keys instead of 100 x 1000 (for trying the suite
                 out; the report says so and its figures are not the committed ones)
  --no-profile   skip the profiling step (callgrind / perf / strace)
  --keep         leave the bench stack running afterwards (its KMS_HOME is printed)
  --baseline REV also measure the responder built from git revision REV, in the same run:
                 it serves the same stack (same database, same nginx settings) on a port of
                 its own, and its Encrypt runs alternate with this checkout's, so that a change
                 is judged before/after under the same load (and, with profiling, by callgrind's
                 instructions per Encrypt of both). REV is built once in release mode into
                 /tmp/kms-bench-baseline-COMMIT (kept for the next run); it must work against
                 this checkout's schema and responder flags.

Exit status: 0 if every run was clean (no errors, no exhausted pool, every check passed),
1 otherwise. Missed targets do not change it: they are reported in the table and BENCHMARKS.md.

Environment: KMS_BENCH_HTTP_PORT (28180), KMS_BENCH_HTTPS_PORT (28543),
KMS_BENCH_METRICS_PORT (28464), KMS_BENCH_CEILING_PORT (28181), KMS_BENCH_BASELINE_PORT (28182),
KMS_BENCH_SWEEP_PORT (28183, the first of the honest ceiling's five) and KMS_BENCH_FEATURE_PORT
(28188, the first of the feature-cost responders' five) choose the ports; KMS_WORKERS the responder's worker threads (the trivial responder gets as many);
KMS_BENCH_DURATION (10) the seconds per point; KMS_BENCH_OPENSSL_SECONDS (5, 2 in --quick)
the seconds of each `openssl speed` test the asymmetric-key rows are set against;
KMS_SKIP_BUILD=1 skips `swift build`; KMS_BENCH_WAIT_QUIET (300, 0 in --quick)
the seconds to wait at most for other processes on the machine to go below 0.3 cores;
KMS_BENCH_BASELINE_BIN=PATH (with --baseline as its label) uses a responder binary already built;
KMS_BENCH_PHASES=setup,ceiling,feature_costs (development) runs only the phases named
(bench/kmsbench.py's Bench.PHASES).
EOF
}

ensure_bench_python_deps() {
    python3 -c "$BENCH_PYTHON_MODULES" 2>/dev/null && return 0
    say "installing Python packages for the bench: ${BENCH_PYTHON_PACKAGES[*]}"
    python3 -m pip install -q "${BENCH_PYTHON_PACKAGES[@]}" ||
        python3 -m pip install -q --break-system-packages "${BENCH_PYTHON_PACKAGES[@]}" ||
        die "pip install ${BENCH_PYTHON_PACKAGES[*]} failed"
    python3 -c "$BENCH_PYTHON_MODULES" || die "the bench's Python packages are still not importable"
}

bench_teardown() {
    local rc=$?
    if [[ -n $BENCH_PY_PID ]] && kill -0 "$BENCH_PY_PID" 2>/dev/null; then
        kill -TERM "$BENCH_PY_PID" 2>/dev/null
        wait_gone "$BENCH_PY_PID" 10 || kill -KILL "$BENCH_PY_PID" 2>/dev/null
    fi
    BENCH_PY_PID=
    if ((BENCH_KEEP)) && [[ -n $BENCH_HOME ]]; then
        say "--keep: the bench stack keeps running in $BENCH_HOME (stop it with KMS_HOME=$BENCH_HOME scripts/kms down${TRIVIAL_PID:+, and the trivial responder with kill $TRIVIAL_PID})"
        return "$rc"
    fi
    if [[ -n $TRIVIAL_PID ]] && kill -0 "$TRIVIAL_PID" 2>/dev/null; then
        kill -TERM "$TRIVIAL_PID" 2>/dev/null
        wait_gone "$TRIVIAL_PID" 5 || kill -KILL "$TRIVIAL_PID" 2>/dev/null
    fi
    TRIVIAL_PID=
    if [[ -n $BASELINE_PID ]] && kill -0 "$BASELINE_PID" 2>/dev/null; then
        kill -TERM "$BASELINE_PID" 2>/dev/null
        wait_gone "$BASELINE_PID" 15 || kill -KILL "$BASELINE_PID" 2>/dev/null
    fi
    BASELINE_PID=
    [[ -n $BENCH_HOME ]] || return "$rc"
    say "tearing down the bench stack ($BENCH_HOME)"
    KMS_HOME=$BENCH_HOME "$SELF" down >/dev/null 2>&1 || warn "down of the bench stack failed"
    # Only ever remove what mktemp made for us.
    [[ $BENCH_HOME == /tmp/kms-bench.* ]] && rm -rf -- "$BENCH_HOME"
    BENCH_HOME=
    return "$rc"
}

# bench_nginx_conf OUT TRIVIAL_SOCKET CEILING_PORT [SOCKET PORT HOW]...: the stack's rendered
# nginx.conf plus one server block for the ceilings and one for each further responder (the
# baseline, the feature-cost responders) on a port of its own. Their `location /` is a copy of the
# product's (every fastcgi_* setting and the fastcgi_params), only fastcgi_pass points elsewhere;
# the http{} settings (workers, keep-alive, access log) are the product's because it is the same file.
# HOW is `kept` (this checkout's responders: passed to through an upstream kept alive as the
# product's lanes are, `keepalive 32`) or `direct` (the baseline, which may predate kept
# connections). The trivial responder and the baseline are passed to directly: libfcgi's accept
# loop binds a thread to each kept connection, so behind kept connections their threads would
# starve (the honest ceiling, bench/ceiling_phase.py, sizes its threads for them); nginx closes a
# connection it does not keep after each request.
bench_nginx_conf() {
    local out=$1 trivial_socket=$2 ceiling_port=$3 location
    shift 3
    location=$(awk '/^[[:space:]]*location \/ \{/ { found = 1 }
                    found { print }
                    found && /^[[:space:]]*\}[[:space:]]*$/ { exit }' "$NGINX_CONF")
    # The product passes to its lanes (nginx.conf.template's $kms_lane); these pass to one socket.
    [[ $location == *'fastcgi_pass $kms_lane;'* ]] ||
        die "cannot find the product's 'location /' with fastcgi_pass in $NGINX_CONF"
    [[ $(tail -n 1 "$NGINX_CONF") == "}" ]] || die "$NGINX_CONF does not end with the closing brace of http {}"
    {
        sed '$d' "$NGINX_CONF"
        cat <<EOF

    # Added by scripts/kms bench (not part of the product): the two ceilings.
    server {
        listen 127.0.0.1:$ceiling_port;
        server_name localhost;

        # Ceiling 1: nginx answering by itself.
        location = /static {
            default_type application/json;
            return 200 '{}';
        }

        # Ceiling 2: the trivial FastCGI responder, with the product's location settings.
${location//'$kms_lane;'/"unix:$trivial_socket;"}
    }
EOF
        while (($# >= 3)); do
            local upstream="" pass="unix:$1;"
            if [[ $3 == kept ]]; then
                upstream="    upstream kms_bench_$2 { server unix:$1; keepalive 32; }"$'\n'
                pass="kms_bench_$2;"
            fi
            cat <<EOF

    # Added by scripts/kms bench: another responder (the baseline: direct; a feature-cost A/B one: kept).
${upstream}    server {
        listen 127.0.0.1:$2;
        server_name localhost;
${location//'$kms_lane;'/"$pass"}
    }
EOF
            shift 3
        done
        echo "}"
    } >"$out"
}

# bench_baseline_build REV: prints the path of a release kms-responder built from git revision
# REV (in /tmp/kms-bench-baseline-COMMIT, from `git archive`, reused by later runs).
bench_baseline_build() {
    local rev=$1 commit dir
    commit=$(git -C "$REPO" rev-parse --verify --quiet "$rev^{commit}") || die "--baseline: not a git revision: $rev"
    dir=/tmp/kms-bench-baseline-$commit
    if [[ ! -x $dir/.build/release/kms-responder ]]; then
        say "building the baseline responder from $rev ($commit) in $dir" >&2
        rm -rf -- "$dir"
        mkdir -p "$dir"
        git -C "$REPO" archive "$commit" | tar -x -C "$dir" || die "git archive $commit failed"
        (cd "$dir" && swift build -c release --product kms-responder) >&2 ||
            die "building the baseline responder from $rev failed"
    fi
    printf '%s\n' "$dir/.build/release/kms-responder"
}

# bench_baseline_start BINARY SOCKET WORK: runs (a copy in WORK of) BINARY with this stack's
# responder flags on SOCKET, as the service user (no supervisor: the bench watches it). Sets
# BASELINE_PID.
bench_baseline_start() {
    local binary=$1 socket=$2 work=$3
    install -m 0755 "$binary" "$work/baseline-responder"
    responder_command
    # This checkout's flags, less those an older responder does not know (e.g. --log-file: it
    # then logs to stderr, into baseline.log); every flag takes a value.
    local help argv=("$work/baseline-responder") i
    help=$("$work/baseline-responder" --help 2>&1) || true
    for ((i = 1; i < ${#RESPONDER_CMD[@]}; i += 2)); do
        # One socket: the baseline's location has no lanes (and the front socket is the product's).
        [[ ${RESPONDER_CMD[i]} == --front-* ]] && continue
        if [[ $help != *"${RESPONDER_CMD[i]}"* ]]; then
            say "the baseline responder has no ${RESPONDER_CMD[i]}: left out"
            continue
        fi
        if [[ ${RESPONDER_CMD[i]} == --socket ]]; then argv+=(--socket "$socket"); else argv+=("${RESPONDER_CMD[@]:i:2}"); fi
    done
    # For the profiling step, which runs it under valgrind with these flags.
    printf '%q ' "${argv[@]}" >"$work/baseline.cmd"
    if is_root && [[ $SVC_USER != root ]]; then
        argv=(setpriv --reuid="$SVC_USER" --regid="$(id -g "$SVC_USER")" --init-groups --reset-env -- "${argv[@]}")
    fi
    setsid "${argv[@]}" </dev/null >>"$LOG_DIR/baseline.log" 2>&1 9>&- &
    BASELINE_PID=$!
    local deadline=$((SECONDS + 30))
    until [[ -S $socket ]]; do
        kill -0 "$BASELINE_PID" 2>/dev/null || {
            tail -n 5 "$LOG_DIR/baseline.log" >&2
            die "the baseline responder exited (log: $LOG_DIR/baseline.log)"
        }
        ((SECONDS < deadline)) || die "the baseline responder did not open $socket"
        sleep 0.1
    done
}

cmd_bench() {
    # --cluster anywhere: the cluster bench (scripts/lib/bench_cluster.sh), with the other options.
    local arg rest=()
    for arg in "$@"; do [[ $arg == --cluster ]] || rest+=("$arg"); done
    if ((${#rest[@]} != $#)); then
        cmd_bench_cluster "${rest[@]}"
        return
    fi
    local quick=0 profile=1 baseline=${KMS_BENCH_BASELINE:-}
    while (($#)); do
        case $1 in
        --quick) quick=1 ;;
        --baseline)
            (($# >= 2)) || die "--baseline needs a git revision"
            baseline=$2
            shift
            ;;
        --no-profile) profile=0 ;;
        --keep) BENCH_KEEP=1 ;;
        -h | --help) bench_usage; return 0 ;;
        *) bench_usage >&2; die "unknown option for bench: $1" ;;
        esac
        shift
    done

    local http_port=${KMS_BENCH_HTTP_PORT:-28180} https_port=${KMS_BENCH_HTTPS_PORT:-28543}
    local ceiling_port=${KMS_BENCH_CEILING_PORT:-28181} metrics_port=${KMS_BENCH_METRICS_PORT:-28464}
    local baseline_port=${KMS_BENCH_BASELINE_PORT:-28182}
    # Five each: the honest ceiling's minimal nginx per configuration, the feature-cost responders.
    local sweep_port=${KMS_BENCH_SWEEP_PORT:-28183} feature_port=${KMS_BENCH_FEATURE_PORT:-28188} i
    local port ports=("$http_port" "$https_port" "$ceiling_port" "$metrics_port")
    [[ $sweep_port =~ ^[0-9]+$ && $feature_port =~ ^[0-9]+$ ]] || die "not a TCP port: $sweep_port / $feature_port"
    for ((i = 0; i < 5; i++)); do ports+=($((sweep_port + i)) $((feature_port + i))); done
    [[ -n $baseline ]] && ports+=("$baseline_port")
    for port in "${ports[@]}"; do
        [[ $port =~ ^[0-9]+$ ]] && ((port >= 1 && port <= 65535)) || die "not a TCP port: $port"
        port_in_use "$port" && die "127.0.0.1:$port is in use (choose KMS_BENCH_HTTP_PORT / KMS_BENCH_HTTPS_PORT / KMS_BENCH_CEILING_PORT / KMS_BENCH_METRICS_PORT / KMS_BENCH_BASELINE_PORT / KMS_BENCH_SWEEP_PORT / KMS_BENCH_FEATURE_PORT)"
    done
    [[ $(printf '%s\n' "${ports[@]}" | sort -u | wc -l) == "${#ports[@]}" ]] || die "the bench's ports must all differ: ${ports[*]}"

    ensure_apt_packages "${STACK_PACKAGES[@]}" "${BENCH_PACKAGES[@]}"
    command -v python3 >/dev/null 2>&1 || ensure_apt_packages python3 python3-pip
    ensure_bench_python_deps
    build_release
    local baseline_bin=
    if [[ -n $baseline ]]; then
        baseline_bin=${KMS_BENCH_BASELINE_BIN:-}
        [[ -n $baseline_bin ]] || baseline_bin=$(bench_baseline_build "$baseline")
        [[ -x $baseline_bin ]] || die "the baseline responder $baseline_bin is not an executable"
    fi

    BENCH_HOME=$(mktemp -d /tmp/kms-bench.XXXXXX)
    chmod 0755 "$BENCH_HOME" # mktemp makes it 0700; postgres, kms and www-data must get in
    trap bench_teardown EXIT
    trap 'exit 130' INT TERM

    say "starting the bench stack in $BENCH_HOME on ports $http_port/$https_port (rate limiting and CPU budget off)"
    # KMS_WORKERS passes through (the product default unless set); the rest is the default stack.
    # The bench drives loopback: the default listeners, whatever the caller's environment says.
    unset KMS_LISTEN KMS_HTTP_LISTEN
    env -u KMS_REGIONS -u KMS_TLS_CERT -u KMS_TLS_KEY -u KMS_TLS_CA -u KMS_LOG_LEVEL \
        KMS_HOME="$BENCH_HOME" KMS_HTTP_PORT="$http_port" KMS_HTTPS_PORT="$https_port" KMS_METRICS_PORT="$metrics_port" \
        KMS_RATE_LIMIT=0 KMS_CPU_BUDGET=0 KMS_SKIP_BUILD=1 "$SELF" up >"$BENCH_HOME/up.log" 2>&1 ||
        { tail -n 30 "$BENCH_HOME/up.log" >&2; die "the bench stack did not come up (log above)"; }

    # From here on this process speaks for the bench stack.
    KMS_HOME=$BENCH_HOME KMS_HTTP_PORT=$http_port KMS_HTTPS_PORT=$https_port KMS_METRICS_PORT=$metrics_port
    unset KMS_REGIONS KMS_TLS_CERT KMS_TLS_KEY KMS_TLS_CA KMS_LOG_LEVEL KMS_RATE_LIMIT KMS_CPU_BUDGET
    load_config
    [[ $KMS_RATE_LIMIT == 0 ]] || die "the bench stack has rate limiting on ($KMS_RATE_LIMIT)"

    local work=$KMS_HOME/bench
    make_dir "$work" root:root 0755
    # The responder's user writes its callgrind output here when profiling.
    make_dir "$work/profile" "$SVC_USER:$(id -gn "$SVC_USER")" 0775

    say "building and starting the trivial FastCGI responder ($KMS_WORKERS workers)"
    gcc -O2 -Wall -Wextra -o "$work/trivial_fcgi" "$REPO/bench/trivial_fcgi.c" -lfcgi -lpthread ||
        die "building bench/trivial_fcgi.c failed"
    local trivial_socket=$work/trivial.sock
    setsid "$work/trivial_fcgi" "$trivial_socket" "$KMS_WORKERS" </dev/null >>"$LOG_DIR/trivial.log" 2>&1 9>&- &
    TRIVIAL_PID=$!
    local deadline=$((SECONDS + 10))
    until [[ -S $trivial_socket ]]; do
        kill -0 "$TRIVIAL_PID" 2>/dev/null || die "the trivial responder exited (log: $LOG_DIR/trivial.log)"
        ((SECONDS < deadline)) || die "the trivial responder did not open $trivial_socket"
        sleep 0.1
    done

    local baseline_socket=
    if [[ -n $baseline ]]; then
        baseline_socket=$FCGI_DIR/baseline.sock
        say "starting the baseline responder ($baseline) on $baseline_socket"
        bench_baseline_start "$baseline_bin" "$baseline_socket" "$work"
    fi

    # The feature-cost responders' sockets (bench/feature_cost_phase.py starts them, names them so).
    local more=()
    [[ -n $baseline ]] && more+=("$baseline_socket" "$baseline_port" direct)
    for ((i = 0; i < 5; i++)); do more+=("$FCGI_DIR/feature-$((feature_port + i)).sock" $((feature_port + i)) kept); done
    say "restarting nginx with the ceilings on 127.0.0.1:$ceiling_port, the feature-cost responders on $feature_port-$((feature_port + 4))${baseline:+ and the baseline on 127.0.0.1:$baseline_port}"
    local bench_conf=$NGINX_DIR/nginx-bench.conf pid
    bench_nginx_conf "$bench_conf" "$trivial_socket" "$ceiling_port" "${more[@]}"
    nginx -e "$LOG_DIR/nginx-error.log" -p "$NGINX_DIR/" -c "$bench_conf" -t -q || die "nginx rejected $bench_conf"
    pid=$(nginx_pid) || die "the bench stack's nginx is not running"
    kill -QUIT "$pid"
    wait_gone "$pid" 10 || die "nginx $pid did not stop"
    nginx -e "$LOG_DIR/nginx-error.log" -p "$NGINX_DIR/" -c "$bench_conf" 9>&- || die "nginx did not start with $bench_conf"
    deadline=$((SECONDS + 10))
    until nginx_pid >/dev/null; do
        ((SECONDS < deadline)) || die "nginx did not write its pid file"
        sleep 0.1
    done
    wait_ready

    local rc=0
    KMS_HOME=$KMS_HOME \
        KMS_BENCH_REPO=$REPO \
        KMS_BENCH_HTTP_PORT=$KMS_HTTP_PORT \
        KMS_BENCH_CEILING_PORT=$ceiling_port \
        KMS_BENCH_WORKERS=$KMS_WORKERS \
        KMS_BENCH_WORK=$work \
        KMS_BENCH_TRIVIAL_PID=$TRIVIAL_PID \
        KMS_BENCH_BASELINE=$baseline \
        KMS_BENCH_BASELINE_PORT=$baseline_port \
        KMS_BENCH_BASELINE_PID=$BASELINE_PID \
        KMS_BENCH_BASELINE_BIN_PATH=${baseline:+$work/baseline-responder} \
        KMS_BENCH_PG_USER=$PG_USER \
        KMS_BENCH_SVC_USER=$SVC_USER \
        KMS_BENCH_PG_BIN=$PG_BIN \
        KMS_BENCH_SWEEP_PORT=$sweep_port \
        KMS_BENCH_FEATURE_PORT=$feature_port \
        KMS_BENCH_QUICK=$quick \
        KMS_BENCH_PROFILE=$profile \
        python3 "$REPO/bench/kmsbench.py" &
    # In the background so that INT/TERM reach the trap at once (the teardown stops it first).
    BENCH_PY_PID=$!
    wait "$BENCH_PY_PID" || rc=$?
    BENCH_PY_PID=
    if ((rc != 0)); then
        local log
        for log in responder.log baseline.log nginx-error.log postgres.log; do
            [[ -s $LOG_DIR/$log ]] || continue
            echo "---- last lines of $log ----" >&2
            tail -n 15 "$LOG_DIR/$log" >&2
        done
    fi
    return "$rc"
}
