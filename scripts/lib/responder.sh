# The FastCGI responder, run by scripts/lib/supervisor.sh. Sourced by scripts/kms.

RESPONDER_STOP_GRACE=10   # seconds a stopping responder gets to finish in-flight requests

# The supervisor: bash running our installed script for this run directory, as root (or
# the developer). The responder: its binary, as the service user, on this stack's socket.
supervisor_pid() {
    local user=root
    is_root || user=$(id -un)
    pid_from_file "$RUN_DIR/supervisor.pid" "$user" "$(exe_path bash)" "$BIN_DIR/supervisor $RUN_DIR "
}
responder_pid() {
    pid_from_file "$RUN_DIR/responder.pid" "$SVC_USER" "$(exe_path "$(responder_bin)")|$(exe_path "$BIN_DIR/kms-responder")" \
        "--socket $FCGI_SOCKET "
}

# The binary the supervisor runs: a copy under $KMS_HOME/bin, because the service user
# may not be able to read the checkout (e.g. a clone under /root), and because a rebuild
# must not change what a running stack executes until `up` installs it.
# KMS_RESPONDER_BIN (development) runs another program in its place.
responder_bin() { printf '%s\n' "${KMS_RESPONDER_BIN:-$BIN_DIR/kms-responder}"; }

responder_command() {
    RESPONDER_CMD=(
        "$(responder_bin)"
        --socket "$FCGI_SOCKET"
        --socket-group "$SOCKET_GROUP"
        --database "$APP_DSN"
        --master-key "$MASTER_KEY"
        --regions "$KMS_REGIONS"
        --workers "$KMS_WORKERS"
        --log-level "$KMS_LOG_LEVEL"
        --rate-limit "$KMS_RATE_LIMIT"
        --cpu-budget "$KMS_CPU_BUDGET"
        --data-key-limit "$KMS_DATA_KEY_LIMIT"
        --cache-stale-seconds "$KMS_CACHE_STALE_SECONDS"
        --log-file "$LOG_DIR/responder.log"
    )
    # The front lane (nginx/nginx.conf.template's $kms_lane): its own socket and threads.
    if ((KMS_FRONT_WORKERS > 0)); then
        RESPONDER_CMD+=(--front-socket "$FCGI_FRONT_SOCKET" --front-workers "$KMS_FRONT_WORKERS")
    fi
    # A host of a cluster (scripts/kms cluster sets it): its name in the live-host count that
    # divides the accounts' limits (HostHeartbeat). A single host has none.
    if [[ -n ${RESPONDER_HOST_NAME:-} ]]; then RESPONDER_CMD+=(--host-name "$RESPONDER_HOST_NAME"); fi
}

# Installs the supervisor and the responder into $KMS_HOME/bin. Returns 0 if the
# responder binary changed.
responder_install() {
    install_file "$REPO/scripts/lib/supervisor.sh" "$BIN_DIR/supervisor" 0755 || true
    [[ -n ${KMS_RESPONDER_BIN:-} ]] && return 1
    [[ -x $BUILD_DIR/kms-responder ]] ||
        die "$BUILD_DIR/kms-responder is missing: run 'swift build -c release' (or 'scripts/kms up' without KMS_SKIP_BUILD)"
    install_file "$BUILD_DIR/kms-responder" "$BIN_DIR/kms-responder" 0755
}

responder_start() {
    local binary_changed=1 pid
    responder_install && binary_changed=0
    responder_command
    local wanted
    wanted=$(printf '%q ' "${RESPONDER_CMD[@]}")

    # After an upgrade the running supervisor is the old script (without the watchdog watch, say).
    if pid=$(supervisor_pid) && script_replaced "$pid"; then
        say "the supervisor changed: restarting it, and so the responder"
        responder_stop
    fi
    if pid=$(supervisor_pid); then
        if [[ $(cat "$RUN_DIR/responder.cmd" 2>/dev/null) != "$wanted" ]]; then
            warn "the running responder was started with other settings; 'scripts/kms down && scripts/kms up' applies the new ones"
        fi
        if ((binary_changed == 0)); then
            say "responder binary changed: restarting the responder"
            responder_restart
        else
            say "responder already running (supervisor pid $pid, responder pid $(responder_pid || echo '?'))"
        fi
        return 0
    fi

    # A responder orphaned by a killed supervisor would hold on to the socket name.
    if pid=$(responder_pid); then
        warn "stopping an unsupervised responder (pid $pid)"
        kill -TERM "$pid" 2>/dev/null
        wait_gone "$pid" "$RESPONDER_STOP_GRACE" || kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$RUN_DIR/supervisor.pid" "$RUN_DIR/responder.pid"

    say "starting the responder (as $SVC_USER, $KMS_WORKERS workers, $KMS_FRONT_WORKERS in the front lane)"
    [[ -e $LOG_DIR/responder.log ]] || install -m 0640 /dev/null "$LOG_DIR/responder.log"
    # The responder opens (and on SIGUSR1 reopens) its log itself, as the service user.
    is_root && chown "$SVC_USER" "$LOG_DIR/responder.log"
    printf '%s' "$wanted" | write_if_changed "$RUN_DIR/responder.cmd" root:root 0644 || true
    # The watchdog starts the supervisor again with this, should it die (supervision.sh).
    supervisor_command
    write_argv "$RUN_DIR/supervisor.argv" "${SUPERVISOR_CMD[@]}"
    detach KMS_SUPERVISOR_LOG="$LOG_DIR/responder.log" "${SUPERVISOR_CMD[@]}"
    # Not a process-group leader, so setsid execs in place: $! is the supervisor.
    responder_wait_socket "" $!
}

# Lets the supervisor bring up a fresh responder (it restarts within ~1 s).
responder_restart() {
    local old
    old=$(responder_pid) || old=""
    [[ -n $old ]] && kill -TERM "$old" 2>/dev/null
    responder_wait_socket "$old" "$(supervisor_pid)"
}

# responder_wait_socket OLD_PID SUPERVISOR_PID: waits until a responder other than
# OLD_PID runs and its socket exists, as long as the supervisor lives.
responder_wait_socket() {
    local old=$1 supervisor=$2 pid deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
        [[ -e /proc/$supervisor ]] || break
        if pid=$(responder_pid) && [[ $pid != "$old" && -S $FCGI_SOCKET ]] &&
            { ((KMS_FRONT_WORKERS == 0)) || [[ -S $FCGI_FRONT_SOCKET ]]; }; then
            say "responder listening on $FCGI_SOCKET (pid $pid)"
            return 0
        fi
        sleep 0.2
    done
    tail -n 20 "$LOG_DIR/responder.log" >&2
    die "the responder did not come up (log: $LOG_DIR/responder.log)"
}

responder_stop() {
    local pid
    if pid=$(supervisor_pid); then
        say "stopping the responder (supervisor pid $pid)"
        kill -TERM "$pid" 2>/dev/null
        if ! wait_gone "$pid" $((RESPONDER_STOP_GRACE + 5)); then
            warn "supervisor $pid did not exit; killing its process group"
            kill -KILL -- "-$pid" 2>/dev/null
        fi
    else
        say "responder supervisor not running"
    fi
    if pid=$(responder_pid); then
        kill -TERM "$pid" 2>/dev/null
        wait_gone "$pid" "$RESPONDER_STOP_GRACE" || kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$RUN_DIR/supervisor.pid" "$RUN_DIR/responder.pid" "$FCGI_SOCKET" "$FCGI_FRONT_SOCKET"
}
