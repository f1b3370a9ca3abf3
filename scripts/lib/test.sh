# `scripts/kms test`: unit tests, storage tests against a real PostgreSQL, and end-to-end
# tests through nginx, on a throw-away stack. Sourced by scripts/kms.

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
    local unit_only=0 pytest_args=()
    while (($#)); do
        case $1 in
        --unit) unit_only=1 ;;
        --) shift; pytest_args=("$@"); break ;;
        *) die "unknown option for test: $1 (try: scripts/kms help)" ;;
        esac
        shift
    done

    ensure_apt_packages "${STACK_PACKAGES[@]}"
    ((unit_only)) || ensure_python_test_deps
    if ! (build_release); then
        SUITES_FAILED=$((unit_only ? 1 : 3))
        test_summary
        return 1
    fi

    say "unit tests: swift test --skip KMSIntegrationTests"
    local rc=0
    (cd "$REPO" && swift test --skip KMSIntegrationTests) || rc=$?
    suite_result unit $rc
    if ((unit_only)); then
        test_summary
        ((SUITES_FAILED == 0))
        return
    fi

    test_integration "${pytest_args[@]}"
    test_summary
    ((SUITES_FAILED == 0))
}

# Storage and end-to-end suites on a fresh stack in /tmp, torn down whatever happens.
test_integration() {
    local http_port=${KMS_TEST_HTTP_PORT:-18080} https_port=${KMS_TEST_HTTPS_PORT:-18443}
    TEST_HOME=$(mktemp -d /tmp/kms-test.XXXXXX)
    chmod 0755 "$TEST_HOME" # mktemp makes it 0700; postgres, kms and www-data must get in
    trap test_teardown EXIT
    trap 'exit 130' INT TERM

    say "starting a test stack in $TEST_HOME on ports $http_port/$https_port"
    if ! env -u KMS_REGIONS -u KMS_WORKERS -u KMS_TLS_CERT -u KMS_TLS_KEY -u KMS_TLS_CA \
        KMS_HOME="$TEST_HOME" KMS_HTTP_PORT="$http_port" KMS_HTTPS_PORT="$https_port" \
        KMS_SKIP_BUILD=1 "$SELF" up; then
        test_show_logs
        suite_result storage 1
        suite_result e2e 1
        test_teardown
        return
    fi

    # From here on this process speaks for the test stack.
    KMS_HOME=$TEST_HOME KMS_HTTP_PORT=$http_port KMS_HTTPS_PORT=$https_port
    unset KMS_REGIONS KMS_WORKERS KMS_TLS_CERT KMS_TLS_KEY KMS_TLS_CA
    load_config

    local rc=0
    say "integration tests: swift test --filter KMSIntegrationTests (database kms_test)"
    if postgres_ensure_database kms_test; then
        (cd "$REPO" &&
            KMS_TEST_DATABASE_URL="host=$RUN_DIR dbname=kms_test user=kms_owner" \
            KMS_TEST_SQL_DIR="$REPO/SQL" \
            swift test --filter KMSIntegrationTests) || rc=$?
    else
        rc=1
    fi
    suite_result storage $rc

    rc=0
    say "end-to-end tests: python3 -m pytest -q Tests/e2e ${*}"
    (cd "$REPO" &&
        KMS_HOME="$KMS_HOME" \
        KMS_ENDPOINT="127.0.0.1:$KMS_HTTP_PORT" \
        KMS_HTTPS_ENDPOINT="127.0.0.1:$KMS_HTTPS_PORT" \
        KMS_CA_FILE="$CA_FILE" \
        KMS_REPO="$REPO" \
        python3 -m pytest -q Tests/e2e "$@") || rc=$?
    # pytest's 5 ("no tests collected") is a failure here: the suite must exist.
    suite_result e2e $rc

    ((SUITES_FAILED == 0)) || test_show_logs
    test_teardown
}
