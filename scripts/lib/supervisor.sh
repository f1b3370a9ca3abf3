#!/usr/bin/env bash
# Keeps the KMS responder running. scripts/kms starts it with setsid, as root (or as the
# developer), stdout/stderr appended to the responder log.
#
#   supervisor.sh RUN_DIR USER SOCKET GRACE -- COMMAND [ARG...]
#
# - runs COMMAND as USER (setpriv: it execs, so the pid we hold is the responder's own);
# - restarts it about 1 s after it exits, whatever the reason;
# - on TERM/INT forwards TERM (the responder finishes its in-flight requests), waits up
#   to GRACE seconds, then KILLs it, removes its pid files and socket, and exits 0.
# - once a second, restarts the watchdog (scripts/lib/watchdog.sh, which restarts nginx and this
#   supervisor) if RUN_DIR/watchdog.pid names a process that is gone, from RUN_DIR/watchdog.argv.
# - on USR1 (logrotate's postrotate, via `scripts/kms logs --reopen`) reopens its own
#   stdout/stderr on $KMS_SUPERVISOR_LOG; a responder started after that inherits the new file.
# Pid files: RUN_DIR/supervisor.pid (this shell), RUN_DIR/responder.pid.
# Its own lines are JSON, like the responder's: {"ts","level","event","logger":"supervisor",…}.
set -uo pipefail

run_dir=$1 user=$2 socket=$3 grace=$4
shift 4
[[ ${1:-} == -- ]] && shift
((${#@} > 0)) || { echo "usage: $0 RUN_DIR USER SOCKET GRACE -- COMMAND [ARG...]" >&2; exit 2; }

supervisor_pidfile=$run_dir/supervisor.pid
responder_pidfile=$run_dir/responder.pid
child=
signalled=
stopping=0

# Pid files are replaced (a temp file renamed over the name, in this root-owned directory),
# never written through: a symbolic link at the name is replaced, not followed.
write_pid() {
    local tmp
    tmp=$(mktemp "$run_dir/.pid.XXXXXX") || return 1
    if ! { echo "$2" >"$tmp" && chmod 0644 "$tmp" && mv -fT "$tmp" "$1"; }; then
        rm -f "$tmp"
        return 1
    fi
}

# json_escape TEXT: TEXT as a JSON string body (backslash, quote and control characters escaped).
json_escape() {
    local s=$1 out="" c i
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\t'/\\t}
    s=${s//$'\r'/\\r}
    # Any other control character as \u00XX (rare: only in a mangled command line).
    if [[ $s == *[$'\x01'-$'\x1f']* ]]; then
        for ((i = 0; i < ${#s}; i++)); do
            c=${s:i:1}
            if [[ $c == [$'\x01'-$'\x1f'] ]]; then printf -v c '\\u%04x' "'$c"; fi
            out+=$c
        done
        s=$out
    fi
    printf '%s' "$s"
}

# log LEVEL EVENT MESSAGE [NAME NUMBER]...: one JSON line on stdout (the responder log).
log() {
    local level=$1 event=$2 msg=$3 extra=""
    shift 3
    while (($# >= 2)); do
        extra+=$(printf ',"%s":%s' "$1" "${2:-null}")
        shift 2
    done
    printf '{"ts":"%s","level":"%s","event":"%s","logger":"supervisor","supervisor_pid":%d,"msg":"%s"%s}\n' \
        "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$level" "$event" "$$" "$(json_escape "$msg")" "$extra"
}

# shellcheck disable=SC2317 # invoked by the trap below
on_reopen() {
    [[ -n ${KMS_SUPERVISOR_LOG:-} ]] || return 0
    # Only an existing file: a missing one means the rotation went wrong; keep the old one.
    if [[ -f $KMS_SUPERVISOR_LOG ]]; then
        exec >>"$KMS_SUPERVISOR_LOG" 2>&1
        log info log_reopened "supervisor reopened its log"
    fi
}

# shellcheck disable=SC2317 # invoked by the trap below
on_stop() {
    stopping=1
    if [[ -n $child ]]; then
        kill -TERM "$child" 2>/dev/null
        signalled=$child
    fi
}
trap on_stop TERM INT
trap on_reopen USR1
trap '' HUP

start_child() {
    # A socket left by a dead responder would make its successor's bind() fail.
    rm -f "$socket"
    if [[ $user == "$(id -un)" ]]; then
        "$@" &
    else
        setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups --reset-env -- "$@" &
    fi
    child=$!
    write_pid "$responder_pidfile" "$child" || log error pid_file_failed "cannot write $responder_pidfile"
}

# (Its log calls pass LEVEL EVENT MESSAGE, the JSON log's order; a plain-text log prints them as words.)
# revive_watchdog: the watchdog's pid file names a process that is gone (a stopped watchdog
# removes its pid file): start it again, holding $KMS_HOME/.lock so as not to race `scripts/kms`.
revive_watchdog() {
    local pid cmdline argv=()
    [[ -f $run_dir/watchdog.pid && ! -L $run_dir/watchdog.pid ]] || return 0
    read -r pid <"$run_dir/watchdog.pid" 2>/dev/null
    [[ ${pid:-} =~ ^[1-9][0-9]*$ ]] || return 0
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || cmdline=""
    if [[ $cmdline == *"watchdog $run_dir "* && $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]; then
        return 0
    fi
    [[ -f $run_dir/watchdog.argv && ! -L $run_dir/watchdog.argv ]] || return 0
    mapfile -d '' -t argv <"$run_dir/watchdog.argv"
    ((${#argv[@]} > 4)) || return 0
    log error watchdog_gone "watchdog $pid is gone (its pid file remains): restarting it"
    (
        flock -n 8 || exit 1
        # Looked at again under the lock: `scripts/kms down` may have stopped it meanwhile.
        [[ -f $run_dir/watchdog.pid ]] || exit 0
        rm -f "$run_dir/watchdog.pid"
        (setsid "${argv[@]}" </dev/null 8>&- &)
    ) 8>>"$(dirname "$run_dir")/.lock" || log error watchdog_restart_failed "cannot restart the watchdog now ($(dirname "$run_dir")/.lock is held); trying again"
}

# wait_child: waits until the child has exited, even across interrupting signals; once a
# stop is requested, waits at most `grace` seconds before killing it. Sets `status`.
wait_child() {
    local ticker
    while ((!stopping)); do
        # Wakes up when the child exits, on a signal, or after a second to look after the watchdog.
        # 2>/dev/null: bash would print "… Killed  setpriv …" for a child killed by a signal, a
        # line that is not JSON; the exit is logged below with its status (128 + the signal).
        sleep 1 &
        ticker=$!
        wait -n "$child" "$ticker" 2>/dev/null
        status=$?
        kill "$ticker" 2>/dev/null
        # Still alive means `wait` returned for the ticker or a signal.
        if ! kill -0 "$child" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$child/stat" 2>/dev/null) == Z ]]; then
            wait "$child" 2>/dev/null
            status=$?
            return 0
        fi
        ((stopping)) || revive_watchdog
    done
    # A stop may have arrived before `child` was set: make sure it got its TERM (once).
    [[ $signalled == "$child" ]] || kill -TERM "$child" 2>/dev/null
    local deadline=$((SECONDS + grace))
    while kill -0 "$child" 2>/dev/null && ((SECONDS < deadline)); do
        # A zombie has exited already; `wait` below reaps it.
        [[ $(awk '{print $3}' "/proc/$child/stat" 2>/dev/null) == Z ]] && break
        sleep 0.1
    done
    if kill -0 "$child" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$child/stat" 2>/dev/null) != Z ]]; then
        log warning responder_killed "responder did not stop within ${grace}s; killing it" responder_pid "$child"
        kill -KILL "$child" 2>/dev/null
    fi
    wait "$child" 2>/dev/null
    status=$?
}

write_pid "$supervisor_pidfile" "$$" || log error pid_file_failed "cannot write $supervisor_pidfile"
log info supervisor_started "supervising: $*"
while ((!stopping)); do
    start_child "$@"
    log info responder_started "responder started" responder_pid "$child"
    wait_child
    if ((stopping)); then
        log info responder_stopped "responder stopped" responder_pid "$child" status "$status"
        break
    fi
    signal=""
    ((status > 128)) && signal=$((status - 128))
    log error responder_exited "responder exited; restarting in 1s" responder_pid "$child" status "$status" signal "$signal"
    child=
    sleep 1 &
    wait $! 2>/dev/null
done

rm -f "$responder_pidfile" "$socket" "$supervisor_pidfile"
log info supervisor_exiting "supervisor exiting"
exit 0
