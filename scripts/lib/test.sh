# `scripts/kms test`: unit tests, storage tests against a real PostgreSQL, end-to-end tests
# through nginx and fault tests (responder killed, PostgreSQL restarted, nginx reloaded, secrets
# looked for on disk), on a throw-away stack; then the cluster fault suite on a throw-away
# cluster (scripts/lib/test_cluster.sh). Sourced by scripts/kms.

SUITES_PASSED=0
SUITES_FAILED=0
TEST_HOME=

suite_result() {
    local name=$1 rc=$2
    if ((rc == 0)); then
        SUITES_PASSED=$((SUITES_PASSED + 1))
        say "suite $name: passed"
    else
        SUITES_FAILED=$((SUITES_FAILED + 1))
        say "suite $name: FAILED (exit $rc)"
    fi
}

# One word and a colon before it, so CI's log reader takes it as the closing count.
test_summary() { printf 'kms-test: %d passed, %d failed\n' "$SUITES_PASSED" "$SUITES_FAILED"; }

test_teardown() {
    [[ -n $TEST_HOME ]] || return 0
    say "tearing down the test stack ($TEST_HOME)"
    KMS_HOME=$TEST_HOME "$SELF" down >/dev/null 2>&1 || warn "down of the test stack failed"
    # Only ever remove what mktemp made for us.
    [[ $TEST_HOME == /tmp/kms-test.* ]] && rm -rf -- "$TEST_HOME"
    TEST_HOME=
}

test_show_logs() {
    local log
    for log in responder.log nginx-error.log postgres.log; do
        [[ -s $TEST_HOME/log/$log ]] || continue
        echo "---- last lines of $log ----" >&2
        tail -n 30 "$TEST_HOME/log/$log" >&2
    done
}

cmd_test() {
    local unit_only=0 cluster=1 pytest_args=()
    while (($#)); do
        case $1 in
        --unit) unit_only=1 ;;
        --no-cluster) cluster=0 ;;
        --) shift; pytest_args=("$@"); break ;;
        *) die "unknown option for test: $1 (try: scripts/kms help)" ;;
        esac
        shift
    done

    ensure_apt_packages "${STACK_PACKAGES[@]}"
    ((unit_only)) || ensure_python_test_deps
    # A real Prometheus scrapes the test stack (Tests/e2e/test_prometheus_scrape.py).
    ((unit_only)) || ensure_apt_packages "${METRICS_TEST_PACKAGES[@]}"
    # The log-rotation fault test runs the real logrotate on the test stack's shipped file.
    ((unit_only)) || ensure_apt_packages logrotate
    if ! (build_release); then
        SUITES_FAILED=$((unit_only ? 2 : 5 + cluster))
        test_summary
        return 1
    fi

    say "unit tests: swift test --skip KMSIntegrationTests"
    local rc=0
    (cd "$REPO" && swift test --skip KMSIntegrationTests) || rc=$?
    suite_result unit $rc
    test_fuzz
    if ((unit_only)); then
        test_summary
        ((SUITES_FAILED == 0))
        return
    fi

    test_integration "${pytest_args[@]}"
    if ((cluster)); then
        test_cluster "${pytest_args[@]}"
    else
        say "suite cluster: not run (--no-cluster)"
    fi
    test_summary
    ((SUITES_FAILED == 0))
}

# The libFuzzer targets (Fuzz/): each is built with -sanitize=fuzzer,address into .build-fuzz and
# run for KMS_FUZZ_SECONDS (default 30) from its committed seed corpus, the four side by side.
# A crash, a sanitizer report, a leak or an input that hangs fails the suite; that input is kept
# in .build-fuzz/artifacts/ and replays through a plain debug build of the same target.
# test_pytest DIR [PYTEST_ARGS...]: one pytest suite against the test stack; pytest's exit status.
# KMS_TEST_SPARE_HTTP_PORT / KMS_TEST_SPARE_HTTPS_PORT: the ports of the throw-away stacks some
# fault tests bring up themselves (Tests/faults/spare_stack.py).
test_pytest() {
    local dir=$1
    shift
    (cd "$REPO" &&
        KMS_HOME="$KMS_HOME" \
        KMS_ENDPOINT="$HTTP_HOST:$KMS_HTTP_PORT" \
        KMS_HTTPS_ENDPOINT="$HTTPS_HOST:$KMS_HTTPS_PORT" \
        KMS_CA_FILE="$CA_FILE" \
        KMS_METRICS_ENDPOINT="$METRICS_ENDPOINT" \
        KMS_REPO="$REPO" \
        KMS_TEST_SPARE_HTTP_PORT="${KMS_TEST_SPARE_HTTP_PORT:-18081}" \
        KMS_TEST_SPARE_HTTPS_PORT="${KMS_TEST_SPARE_HTTPS_PORT:-18444}" \
        python3 -m pytest -q "$dir" "$@")
}

FUZZ_TARGETS=(RequestDecoder FormDecoding Envelope Authorization)

test_fuzz() {
    local seconds=${KMS_FUZZ_SECONDS:-30} scratch=$REPO/.build-fuzz name i status runs speed rc=0 pids=()
    [[ $seconds =~ ^[1-9][0-9]*$ ]] || die "KMS_FUZZ_SECONDS must be a positive number of seconds: $seconds"
    local work
    work=$(mktemp -d /tmp/kms-fuzz.XXXXXX)
    say "fuzz tests: building Fuzz{${FUZZ_TARGETS[*]}} with -sanitize=fuzzer,address into .build-fuzz"
    for name in "${FUZZ_TARGETS[@]}"; do
        if ! (cd "$REPO" && swift build -c debug --product "Fuzz$name" --scratch-path "$scratch" \
            -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING) >"$work/build-$name.log" 2>&1; then
            # ld.gold warns once per ASan symbol it cannot export; the error is what matters.
            grep -v "Cannot export local symbol" "$work/build-$name.log" | tail -n 30 >&2
            [[ $work == /tmp/kms-fuzz.* ]] && rm -rf -- "$work"
            suite_result fuzz 1
            return
        fi
    done

    say "fuzz tests: running each target for ${seconds}s"
    for name in "${FUZZ_TARGETS[@]}"; do
        mkdir -p "$work/$name"
        # New inputs go to the first (scratch) corpus directory, never into the committed seeds.
        # SWIFT_BACKTRACE=enable=no leaves a crash to libFuzzer, which saves the input.
        (cd "$work" && SWIFT_BACKTRACE=enable=no exec "$scratch/debug/Fuzz$name" \
            -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 \
            -dict="$REPO/Fuzz/dictionaries/$name.dict" -artifact_prefix="$work/$name-" \
            "$work/$name" "$REPO/Fuzz/corpus/$name") >"$work/$name.log" 2>&1 &
        pids+=($!)
    done
    for i in "${!FUZZ_TARGETS[@]}"; do
        name=${FUZZ_TARGETS[$i]}
        status=0
        wait "${pids[$i]}" || status=$?
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log")
        speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$name.log")
        if ((status == 0)); then
            say "fuzz $name: ${runs:-?} inputs (${speed:-?}/s), no crash"
            continue
        fi
        rc=1
        say "fuzz $name: FAILED (exit $status)"
        grep -v '^#[0-9]' "$work/$name.log" | tail -n 60 >&2
        mkdir -p "$scratch/artifacts"
        if compgen -G "$work/$name-*" >/dev/null; then
            cp -- "$work/$name"-* "$scratch/artifacts/"
            say "  input kept in .build-fuzz/artifacts/; replay it: swift build --product Fuzz$name &&" \
                ".build/debug/Fuzz$name .build-fuzz/artifacts/$name-…"
        fi
    done
    [[ $work == /tmp/kms-fuzz.* ]] && rm -rf -- "$work"
    suite_result fuzz $rc
}

# Storage and end-to-end suites on a fresh stack in /tmp, torn down whatever happens.
test_integration() {
    local http_port=${KMS_TEST_HTTP_PORT:-18080} https_port=${KMS_TEST_HTTPS_PORT:-18443}
    local metrics_port=${KMS_TEST_METRICS_PORT:-18464}
    TEST_HOME=$(mktemp -d /tmp/kms-test.XXXXXX)
    chmod 0755 "$TEST_HOME" # mktemp makes it 0700; postgres, kms and www-data must get in
    trap test_teardown EXIT
    trap 'exit 130' INT TERM

    say "starting a test stack in $TEST_HOME on ports $http_port/$https_port"
    if ! env -u KMS_REGIONS -u KMS_WORKERS -u KMS_FRONT_WORKERS -u KMS_TLS_CERT -u KMS_TLS_KEY -u KMS_TLS_CA -u KMS_LISTEN -u KMS_HTTP_LISTEN \
        KMS_HOME="$TEST_HOME" KMS_HTTP_PORT="$http_port" KMS_HTTPS_PORT="$https_port" \
        KMS_METRICS_PORT="$metrics_port" KMS_SKIP_BUILD=1 "$SELF" up; then
        test_show_logs
        suite_result storage 1
        suite_result e2e 1
        suite_result faults 1
        test_teardown
        return
    fi

    # From here on this process speaks for the test stack.
    KMS_HOME=$TEST_HOME KMS_HTTP_PORT=$http_port KMS_HTTPS_PORT=$https_port KMS_METRICS_PORT=$metrics_port
    unset KMS_REGIONS KMS_WORKERS KMS_FRONT_WORKERS KMS_TLS_CERT KMS_TLS_KEY KMS_TLS_CA KMS_LISTEN KMS_HTTP_LISTEN
    load_config

    local rc=0
    say "integration tests: swift test --filter KMSIntegrationTests (database kms_test)"
    if postgres_ensure_database kms_test; then
        (cd "$REPO" &&
            KMS_TEST_DATABASE_URL="host=$PG_SOCKET_DIR dbname=kms_test user=kms_owner" \
            KMS_TEST_SQL_DIR="$REPO/SQL" \
            swift test --filter KMSIntegrationTests) || rc=$?
    else
        rc=1
    fi
    suite_result storage $rc

    rc=0
    say "end-to-end tests: python3 -m pytest -q Tests/e2e ${*}"
    test_pytest Tests/e2e "$@" || rc=$?
    # pytest's 5 ("no tests collected") is a failure here: the suite must exist.
    suite_result e2e $rc

    # Last, because they break things on purpose: kill -9 the responder, stop and crash
    # PostgreSQL, reload nginx, crash the responder. Each test waits until the stack has
    # recovered (every worker answering) before the next one starts.
    rc=0
    say "fault tests: python3 -m pytest -q Tests/faults ${*}"
    test_pytest Tests/faults "$@" || rc=$?
    if ((rc == 5 && $# > 0)); then
        # PYTEST_ARGS (e.g. -k) that select only tests of the other suite: not a failure of this one.
        say "suite faults: no test selected by the pytest arguments"
    else
        suite_result faults $rc
    fi

    ((SUITES_FAILED == 0)) || test_show_logs
    test_teardown
}
