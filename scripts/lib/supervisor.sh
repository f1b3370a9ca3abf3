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
# Pid files: RUN_DIR/supervisor.pid (this shell), RUN_DIR/responder.pid.
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

log() { printf '%s supervisor[%d]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$$" "$*"; }

# shellcheck disable=SC2317 # invoked by the trap below
on_stop() {
    stopping=1
    if [[ -n $child ]]; then
        kill -TERM "$child" 2>/dev/null
        signalled=$child
    fi
}
trap on_stop TERM INT
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
    write_pid "$responder_pidfile" "$child" || log "cannot write $responder_pidfile"
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
        sleep 1 &
        ticker=$!
        wait -n "$child" "$ticker"
        status=$?
        kill "$ticker" 2>/dev/null
        # Still alive means `wait` returned for the ticker or a signal.
        if ! kill -0 "$child" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$child/stat" 2>/dev/null) == Z ]]; then
            wait "$child"
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
        log "responder $child did not stop within ${grace}s; killing it"
        kill -KILL "$child" 2>/dev/null
    fi
    wait "$child" 2>/dev/null
    status=$?
}

write_pid "$supervisor_pidfile" "$$" || log "cannot write $supervisor_pidfile"
log "supervising: $*"
while ((!stopping)); do
    start_child "$@"
    log "responder started (pid $child)"
    wait_child
    if ((stopping)); then
        log "responder $child stopped (status $status)"
        break
    fi
    log "responder $child exited (status $status); restarting in 1s"
    child=
    sleep 1 &
    wait $! 2>/dev/null
done

rm -f "$responder_pidfile" "$socket" "$supervisor_pidfile"
log "supervisor exiting"
exit 0
