# Who watches the watcher: the watchdog (scripts/lib/watchdog.sh) restarts nginx and the
# responder's supervisor when they die; the supervisor restarts the watchdog. Each restarts the
# other from the command line `up` left in $RUN_DIR (*.argv, NUL-separated, root's directory).
# Sourced by scripts/kms.

watchdog_pid() {
    local user=root
    is_root || user=$(id -un)
    pid_from_file "$RUN_DIR/watchdog.pid" "$user" "$(exe_path bash)" "$BIN_DIR/watchdog $RUN_DIR "
}

# write_argv FILE ARG...: the arguments, NUL-separated, into FILE (root's, 0644).
write_argv() {
    local file=$1
    shift
    printf '%s\0' "$@" | write_if_changed "$file" root:root 0644 || true
}

# detach [VAR=VALUE...] CMD...: CMD in the background, in a clean environment (PATH, LANG and the
# assignments given) and a session of its own (setsid: no terminal), its output appended to the
# responder's log, without our locks (9: scripts/kms's, 8: a cluster host's). Inside the network
# namespace HOST_NS when that is set (a responder host of scripts/kms cluster), so whatever it
# starts again stays there. Not a process-group leader, so setsid execs in place: $! is CMD.
detach() {
    ${HOST_NS:+ip netns exec "$HOST_NS"} setsid env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        "$@" </dev/null >>"$LOG_DIR/responder.log" 2>&1 8>&- 9>&- &
}

# script_replaced PID: the bash script PID runs has been replaced on disk since it started (bash
# keeps its script open on descriptor 255; install_file renames a new file over the name).
script_replaced() { [[ $(readlink "/proc/$1/fd/255" 2>/dev/null) == *" (deleted)" ]]; }

# The supervisor's command line (responder_start runs it; the watchdog runs it again).
supervisor_command() {
    SUPERVISOR_CMD=("$BIN_DIR/supervisor" "$RUN_DIR" "$SVC_USER" "$FCGI_SOCKET" "$RESPONDER_STOP_GRACE"
        -- "${RESPONDER_CMD[@]}")
}

watchdog_command() {
    WATCHDOG_CMD=("$BIN_DIR/watchdog" "$RUN_DIR" "$NGINX_DIR/" "$LOG_DIR"
        -- "$(command -v nginx)" -e "$LOG_DIR/nginx-error.log" -p "$NGINX_DIR/" -c "$NGINX_CONF")
}

# supervision_recover: `up`'s first step on a stack whose processes were killed.
# - A master killed with -9 leaves its workers serving on our ports: stop them (only this stack's:
#   the nginx processes holding its error log open) before `up` checks that the ports are free.
# - A watchdog pid file left by a dead watchdog (kill -9, a reboot) goes: `up` starts the watchdog
#   itself, and a new supervisor must not try to meanwhile.
supervision_recover() {
    [[ -d $RUN_DIR ]] || return 0
    watchdog_pid >/dev/null 2>&1 || rm -f "$RUN_DIR/watchdog.pid"
    nginx_pid >/dev/null 2>&1 && return 0
    bash "$REPO/scripts/lib/watchdog.sh" --stop-orphans "$RUN_DIR" "$NGINX_DIR/" "$LOG_DIR" |
        sed -n 's/.*"msg":"\(.*\)"}$/kms: \1/p'
}

watchdog_start() {
    local pid
    install_file "$REPO/scripts/lib/watchdog.sh" "$BIN_DIR/watchdog" 0755 || true
    watchdog_command
    write_argv "$RUN_DIR/watchdog.argv" "${WATCHDOG_CMD[@]}"
    # A new version (an upgrade) replaces the running one: nothing it watches is touched.
    if pid=$(watchdog_pid) && script_replaced "$pid"; then
        say "the watchdog changed: restarting it"
        watchdog_stop
    fi
    if pid=$(watchdog_pid); then
        say "watchdog already running (pid $pid)"
        return 0
    fi
    rm -f "$RUN_DIR/watchdog.pid"
    say "starting the watchdog (restarts nginx and the responder's supervisor if they die)"
    detach "${WATCHDOG_CMD[@]}"
    local deadline=$((SECONDS + 10))
    until watchdog_pid >/dev/null; do
        ((SECONDS < deadline)) || die "the watchdog did not start (log: $LOG_DIR/responder.log)"
        sleep 0.1
    done
}

# Stopped first by `down`, so that it does not restart what `down` stops.
watchdog_stop() {
    local pid
    if ! pid=$(watchdog_pid); then
        # Not running: make sure no supervisor revives it from a stale pid file.
        rm -f "$RUN_DIR/watchdog.pid"
        return 0
    fi
    say "stopping the watchdog (pid $pid)"
    kill -TERM "$pid" 2>/dev/null
    wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null
    rm -f "$RUN_DIR/watchdog.pid"
}
