# `scripts/kms logs`: the responder's JSON log, its rotation (the shipped logrotate file) and
# reopening on SIGUSR1. Sourced by scripts/kms.

LOGS_DEFAULT_LINES=100

logs_usage() {
    cat <<EOF
Usage: scripts/kms logs [-f] [--lines N]
       scripts/kms logs --reopen

Prints the last N (default $LOGS_DEFAULT_LINES) lines of the responder's log,
$LOG_DIR/responder.log: one JSON object per line (ts, level, event; requests also carry
request_id, action, app_id, code, duration_ms). -f keeps following it, across rotations.

  -f, --follow     Follow the log (tail -F: survives logrotate renaming it).
  -n, --lines N    How many lines to print first (default $LOGS_DEFAULT_LINES; 0 for none).
  --reopen         Make the responder, its supervisor and nginx reopen their log files
                   (SIGUSR1); the shipped logrotate file runs this after rotating.

The other logs, in $LOG_DIR:
  nginx-access.log   nginx's access log (no query strings, no bodies)
  nginx-error.log    nginx's errors (critical ones only)
  postgres.log       PostgreSQL's server log
Rotation: $KMS_HOME/logrotate.conf (written by 'up'); see docs/OPERATIONS.md#logs.
EOF
}

cmd_logs() {
    local follow=0 lines=$LOGS_DEFAULT_LINES reopen=0
    load_config
    while (($#)); do
        case $1 in
        -f | --follow) follow=1 ;;
        -n | --lines)
            (($# >= 2)) || die "$1 needs a number of lines"
            lines=$2
            shift
            ;;
        --lines=*) lines=${1#--lines=} ;;
        --reopen) reopen=1 ;;
        -h | --help)
            logs_usage
            return 0
            ;;
        *) die "unknown option for logs: $1 (try: scripts/kms logs --help)" ;;
        esac
        shift
    done
    [[ $lines =~ ^[0-9]+$ ]] || die "--lines takes a whole number: $lines"
    if ((reopen)); then
        ((follow == 0)) || die "--reopen does not combine with -f"
        logs_reopen
        return
    fi

    local file=$LOG_DIR/responder.log
    # With -f, wait for it to appear (tail -F does); without, there is nothing to show.
    if [[ ! -e $file ]] && ((follow == 0)); then
        die "no responder log yet: $file (has 'scripts/kms up' run for KMS_HOME=$KMS_HOME?)"
    fi
    if ((follow)); then
        exec tail -n "$lines" -F "$file"
    fi
    tail -n "$lines" "$file"
}

# logs_reopen: SIGUSR1 to each of this stack's processes that reopens its log on it. Only to a
# process started with that ability (an older responder or supervisor would die of USR1, which
# terminates by default); nginx treats USR1 as "reopen log files".
logs_reopen() {
    local pid signalled=0
    if pid=$(responder_pid 2>/dev/null); then
        if tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qx -- --log-file; then
            kill -USR1 "$pid" && signalled=$((signalled + 1)) && say "responder (pid $pid) reopens its log"
        else
            warn "responder (pid $pid) runs without --log-file (started by an older 'up'): not signalled; 'scripts/kms down && scripts/kms up' applies it"
        fi
    fi
    if pid=$(supervisor_pid 2>/dev/null); then
        if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -q '^KMS_SUPERVISOR_LOG='; then
            kill -USR1 "$pid" && signalled=$((signalled + 1)) && say "supervisor (pid $pid) reopens its log"
        else
            warn "supervisor (pid $pid) predates log reopening: not signalled"
        fi
    fi
    if pid=$(nginx_pid 2>/dev/null); then
        kill -USR1 "$pid" && signalled=$((signalled + 1)) && say "nginx (pid $pid) reopens its logs"
    fi
    ((signalled > 0)) || say "nothing running in $KMS_HOME to reopen logs"
    return 0
}

# logs_render_logrotate: writes $KMS_HOME/logrotate.conf for this stack (on every `up`).
logs_render_logrotate() {
    local template=$REPO/scripts/lib/logrotate.conf
    sed -e "s|@KMS_HOME@|$KMS_HOME|g" -e "s|@LOG_DIR@|$LOG_DIR|g" \
        -e "s|@RESPONDER_BIN@|$(responder_bin)|g" -e "s|@KMS@|$REPO/scripts/kms|g" "$template" |
        write_if_changed "$KMS_HOME/logrotate.conf" root:root 0644 || true
}
