# `scripts/kms test`'s suite `cluster`: Tests/cluster (issue 13's fault suite, SPEC §8) on a
# cluster of its own, after the fault tests. Sourced by scripts/kms after test.sh and cluster.sh.
#
# The cluster is `scripts/kms cluster up --standbys 2` (Tests/cluster/conftest.py) with names,
# ports and subnet of its own, so it collides neither with the single-host test stack
# (18080/18443/18464) nor with an operator's own `scripts/kms cluster` (kc, 9080/9443, 10.213.0):
#   KMS_TEST_CLUSTER_NAME    prefix of its namespaces, links and bridge (default kt)
#   KMS_TEST_CLUSTER_SUBNET  its private /24 (default 10.214.0)
#   KMS_TEST_CLUSTER_HTTP_PORT / _HTTPS_PORT  its load balancer on 127.0.0.1 (29480 / 29843)
#   KMS_TEST_CLUSTER_TIMEOUT seconds the whole suite may take before it is stopped (default 1500;
#                            it takes 9-12 min here, more when a healed primary is slow to rejoin)
# One suite per prefix runs on a machine at a time. Its state lives in /tmp/kms-test-cluster.XXXXXX. Whatever happens (a failed test, ^C, SIGTERM,
# the timeout) the suite ends with `cluster down` and removes every namespace, link and bridge of
# its prefix and every process in them; a run killed outright (SIGKILL) is cleaned up by the next
# one, before it starts.

TEST_CLUSTER_HOME=
TEST_CLUSTER_PYTEST=

# test_cluster_env: the settings of the suite's cluster, as the environment of a command.
test_cluster_env() {
    TEST_CLUSTER_ENV=(
        KMS_TEST_CLUSTER_NAME="${KMS_TEST_CLUSTER_NAME:-kt}"
        KMS_TEST_CLUSTER_SUBNET="${KMS_TEST_CLUSTER_SUBNET:-10.214.0}"
        KMS_TEST_CLUSTER_HTTP_PORT="${KMS_TEST_CLUSTER_HTTP_PORT:-29480}"
        KMS_TEST_CLUSTER_HTTPS_PORT="${KMS_TEST_CLUSTER_HTTPS_PORT:-29843}"
    )
}

# test_cluster_reap: `cluster down` for every suite cluster directory left in /tmp (this run's and
# any earlier, killed run's), then whatever of the prefix's namespaces, links and bridge is still
# there, with every process inside.
test_cluster_reap() {
    local dir name ns pid
    name=${KMS_TEST_CLUSTER_NAME:-kt}
    for dir in /tmp/kms-test-cluster.*; do
        [[ -r $dir/cluster/cluster.env && ! -L $dir ]] || continue
        # Another prefix's suite (KMS_TEST_CLUSTER_NAME) is not ours to reap.
        grep -qx "KMS_CLUSTER_NAME=$name" "$dir/cluster/cluster.env" || continue
        # The directory's own cluster.env names its prefix, subnet and ports.
        env -u KMS_CLUSTER_NAME -u KMS_CLUSTER_SUBNET -u KMS_CLUSTER_HTTP_PORT -u KMS_CLUSTER_HTTPS_PORT \
            KMS_HOME="$dir" KMS_CLUSTER_HOME="$dir/cluster" "$SELF" cluster down >/dev/null 2>&1 ||
            warn "cluster down of $dir failed"
        if [[ $dir != "$TEST_CLUSTER_HOME" ]]; then rm -rf -- "$dir"; fi
    done
    while read -r ns _; do
        if [[ $ns != "$name"-* ]]; then continue; fi
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
        for pid in $(ip netns pids "$ns" 2>/dev/null); do wait_gone "$pid" 10 || true; done
        ip netns del "$ns" 2>/dev/null || warn "cannot delete namespace $ns"
    done < <(ip netns list 2>/dev/null)
    while read -r link; do
        if [[ $link == "$name"-* ]]; then ip link del "$link" 2>/dev/null || true; fi
    done < <(ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}')
    return 0
}

test_cluster_teardown() {
    if [[ -n $TEST_CLUSTER_PYTEST ]] && kill -0 "$TEST_CLUSTER_PYTEST" 2>/dev/null; then
        kill -TERM "$TEST_CLUSTER_PYTEST" 2>/dev/null
        wait_gone "$TEST_CLUSTER_PYTEST" 10 || kill -KILL "$TEST_CLUSTER_PYTEST" 2>/dev/null
    fi
    TEST_CLUSTER_PYTEST=
    [[ -n $TEST_CLUSTER_HOME ]] || return 0
    say "tearing down the test cluster ($TEST_CLUSTER_HOME)"
    test_cluster_reap
    [[ $TEST_CLUSTER_HOME == /tmp/kms-test-cluster.* ]] && rm -rf -- "$TEST_CLUSTER_HOME"
    TEST_CLUSTER_HOME=
}

# test_cluster [PYTEST_ARGS...]: the suite; its result goes into the summary as `cluster`.
test_cluster() {
    local rc=0 timeout=${KMS_TEST_CLUSTER_TIMEOUT:-1500}
    [[ $timeout =~ ^[1-9][0-9]*$ ]] || die "KMS_TEST_CLUSTER_TIMEOUT must be a number of seconds: $timeout"
    if ! is_root; then
        say "cluster tests need root (network namespaces, a bridge): run scripts/kms test as root, or with --no-cluster"
        suite_result cluster 1
        return
    fi
    test_cluster_env
    # A run killed outright leaves its cluster behind: gone before this one starts.
    test_cluster_reap
    TEST_CLUSTER_HOME=$(mktemp -d /tmp/kms-test-cluster.XXXXXX)
    chmod 0755 "$TEST_CLUSTER_HOME" # the service users walk down to their files
    trap 'test_cluster_teardown; test_teardown' EXIT
    trap 'exit 130' INT TERM

    say "cluster tests: python3 -m pytest -q Tests/cluster ${*} (${KMS_TEST_CLUSTER_NAME:-kt}-*, ${KMS_TEST_CLUSTER_SUBNET:-10.214.0}.0/24, 127.0.0.1:${KMS_TEST_CLUSTER_HTTP_PORT:-29480}/${KMS_TEST_CLUSTER_HTTPS_PORT:-29843})"
    # In the background, so that ^C or SIGTERM reach the trap at once (bash runs a trap only once
    # its foreground command ends) and the teardown stops it; `timeout` bounds a hung test.
    (cd "$REPO" && exec env "${TEST_CLUSTER_ENV[@]}" KMS_TEST_CLUSTER_HOME="$TEST_CLUSTER_HOME" \
        KMS_SKIP_BUILD=1 timeout --kill-after=30 "$timeout" python3 -m pytest -q -s -p no:cacheprovider --durations=0 Tests/cluster "$@") &
    TEST_CLUSTER_PYTEST=$!
    wait "$TEST_CLUSTER_PYTEST" || rc=$?
    TEST_CLUSTER_PYTEST=
    ((rc != 124)) || say "cluster tests: stopped after KMS_TEST_CLUSTER_TIMEOUT=$timeout s"
    if ((rc == 5 && $# > 0)); then
        say "suite cluster: no test selected by the pytest arguments"
    else
        suite_result cluster $rc
    fi
    if ((rc != 0)); then
        local log
        for log in "$TEST_CLUSTER_HOME"/cluster/hosts/*/log/{patroni,responder,etcd}.log; do
            [[ -s $log ]] || continue
            echo "---- last lines of ${log#"$TEST_CLUSTER_HOME"/cluster/} ----" >&2
            tail -n 15 "$log" >&2
        done
    fi
    test_cluster_teardown
}
