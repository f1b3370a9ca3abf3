#!/usr/bin/env bash
# Keeps nginx and the responder's supervisor running; the supervisor, in turn, keeps this
# watchdog running (each restarts the other from the command line it left in RUN_DIR).
# scripts/kms installs it as $KMS_HOME/bin/watchdog and starts it with setsid, as root (or as
# the developer), stdout/stderr appended to the responder log.
#
#   watchdog.sh RUN_DIR NGINX_PREFIX LOG_DIR -- NGINX_COMMAND [ARG...]
#   watchdog.sh --stop-orphans RUN_DIR NGINX_PREFIX LOG_DIR
#
# Once a second it looks at two pid files:
# - RUN_DIR/nginx.pid naming a process that is gone (or is not this stack's nginx master): the
#   master died without cleaning up (kill -9, OOM killer). Its workers, orphaned, still hold the
#   ports: they are stopped (QUIT, then KILL) and NGINX_COMMAND starts nginx again.
# - RUN_DIR/supervisor.pid naming a process that is gone: the supervisor died the same way. Its
#   responder, orphaned, is stopped (TERM: it finishes its requests) and the supervisor is started
#   again from RUN_DIR/supervisor.argv.
# A missing pid file means "stopped on purpose": nginx, the supervisor and this watchdog each
# remove theirs when they exit normally, so `scripts/kms down` and the bench never fight it.
# Restarts take $KMS_HOME/.lock (without waiting), so they never race `scripts/kms up`/`down`.
#
# --stop-orphans (used by `scripts/kms up`): stops this stack's orphaned nginx processes if its
# master is gone, and exits.
#
# This stack's nginx processes are the nginx processes holding this stack's error log open
# (LOG_DIR/nginx-error.log, opened by the master and inherited by every worker): never
# another stack's nginx, nor the system's.
set -uo pipefail

# log LEVEL EVENT MESSAGE: one JSON line, like the responder's and the supervisor's, appended to
# LOG_DIR/responder.log (opened per line, so a rotated log needs no signal here; stdout until
# LOG_DIR is known). Messages hold only pids and this stack's paths (no quotes or backslashes in them).
log() {
    local msg=${3//\\/\\\\}
    msg=${msg//\"/\\\"}
    printf '{"ts":"%s","level":"%s","event":"%s","logger":"watchdog","watchdog_pid":%d,"msg":"%s"}\n' \
        "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$1" "$2" "$$" "$msg" >>"${log_file:-/dev/stdout}"
}

proc_state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }

# alive PID: PID runs and is not a zombie.
alive() { [[ -e /proc/$1 && $(proc_state "$1") != Z ]]; }

# pid_in FILE: the pid FILE names (a regular file, not a link), or fails.
pid_in() {
    local pid
    [[ -f $1 && ! -L $1 ]] || return 1
    read -r pid <"$1" 2>/dev/null || [[ -n ${pid:-} ]] || return 1
    [[ $pid =~ ^[1-9][0-9]{0,9}$ ]] || return 1
    printf '%s\n' "$pid"
}

# cmdline_has PID TEXT: PID's command line (arguments joined by spaces) contains TEXT.
cmdline_has() {
    local cmdline
    cmdline=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
    [[ $cmdline == *"$2"* ]]
}

# stack_nginx_processes: pids of nginx processes that hold this stack's error log open.
stack_nginx_processes() {
    local pid
    # pgrep: one process for the whole table (a readlink per process took seconds).
    for pid in $(pgrep -x nginx); do
        [[ -n $(find "/proc/$pid/fd" -maxdepth 1 -lname "$error_log" -print -quit 2>/dev/null) ]] &&
            printf '%s\n' "$pid"
    done
}

# nginx_master: the live master this stack's pid file names, or fails.
nginx_master() {
    local pid
    pid=$(pid_in "$run_dir/nginx.pid") || return 1
    alive "$pid" && cmdline_has "$pid" "-p $nginx_prefix " && cmdline_has "$pid" "master process"
}

# stop_orphans: stops every nginx process of this stack (only called when its master is gone):
# QUIT closes their listening sockets at once and lets them finish open requests; what is still
# there after 5 s is killed.
stop_orphans() {
    local pids pid deadline=$((SECONDS + 5))
    mapfile -t pids < <(stack_nginx_processes)
    ((${#pids[@]})) || return 0
    log warning nginx_orphans_stopped "stopping ${#pids[@]} orphaned nginx process(es) of this stack: ${pids[*]}"
    kill -QUIT "${pids[@]}" 2>/dev/null
    for pid in "${pids[@]}"; do
        while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
        if alive "$pid"; then kill -KILL "$pid" 2>/dev/null; fi
    done
    for pid in "${pids[@]}"; do
        while alive "$pid" && ((SECONDS < deadline + 2)); do sleep 0.05; done
    done
}

# with_lock CMD...: runs CMD holding $KMS_HOME/.lock, or fails at once if `up`/`down` holds it.
# The lock's descriptor (8) is closed for everything CMD starts.
with_lock() {
    (
        flock -n 8 || exit 75
        "$@"
    ) 8>>"$lock_file"
}

start_nginx() {
    # Looked at again under the lock: `down` or `up` may have been at work meanwhile.
    [[ -f $run_dir/nginx.pid ]] && ! nginx_master || return 0
    stop_orphans
    "${nginx_cmd[@]}" </dev/null 8>&- 9>&-
}

check_nginx() {
    local pid
    pid=$(pid_in "$run_dir/nginx.pid") || return 0   # no pid file: stopped on purpose
    nginx_master && return 0
    log error nginx_master_gone "nginx master $pid is gone (its pid file remains): restarting nginx"
    if with_lock start_nginx; then
        log info nginx_restarted "nginx restarted"
    else
        log error nginx_restart_failed "restarting nginx failed (or $lock_file is held); trying again"
        return 1
    fi
}

# The supervisor's command line, NUL-separated, as scripts/kms started it:
#   BIN_DIR/supervisor RUN_DIR USER SOCKET GRACE -- RESPONDER_COMMAND...
read_supervisor_argv() {
    supervisor_argv=()
    [[ -f $run_dir/supervisor.argv && ! -L $run_dir/supervisor.argv ]] || return 1
    mapfile -d '' -t supervisor_argv <"$run_dir/supervisor.argv"
    ((${#supervisor_argv[@]} > 6)) && [[ ${supervisor_argv[1]} == "$run_dir" ]]
}

start_supervisor() {
    local user=${supervisor_argv[2]} socket=${supervisor_argv[3]} grace=${supervisor_argv[4]} pid deadline
    # Looked at again under the lock: `down` or `up` may have been at work meanwhile.
    pid=$(pid_in "$run_dir/supervisor.pid") || return 0
    ! { alive "$pid" && cmdline_has "$pid" "supervisor $run_dir "; } || return 0
    # The orphaned responder serves on (and would hold) the socket: let it finish its requests.
    if pid=$(pid_in "$run_dir/responder.pid") && alive "$pid" && cmdline_has "$pid" "--socket $socket " &&
        [[ $(awk '/^Uid:/ {print $2}' "/proc/$pid/status" 2>/dev/null) == "$(id -u "$user" 2>/dev/null)" ]]; then
        log warning responder_orphan_stopped "stopping the orphaned responder $pid"
        kill -TERM "$pid" 2>/dev/null
        deadline=$((SECONDS + grace))
        while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
        if alive "$pid"; then kill -KILL "$pid" 2>/dev/null; fi
    fi
    rm -f "$run_dir/supervisor.pid" "$run_dir/responder.pid"
    # Twice forked: the new supervisor belongs to no one here (setsid, like scripts/kms starts it).
    # KMS_SUPERVISOR_LOG: where the supervisor reopens its output on USR1 (as scripts/kms starts it).
    (KMS_SUPERVISOR_LOG=$log_dir/responder.log setsid "${supervisor_argv[@]}" </dev/null 8>&- 9>&- &)
}

check_supervisor() {
    local pid
    pid=$(pid_in "$run_dir/supervisor.pid") || return 0   # no pid file: stopped on purpose
    alive "$pid" && cmdline_has "$pid" "supervisor $run_dir " && return 0
    if ! read_supervisor_argv; then
        log error supervisor_argv_missing "supervisor $pid is gone, but $run_dir/supervisor.argv is missing: run 'scripts/kms up'"
        return 1
    fi
    log error supervisor_gone "supervisor $pid is gone (its pid file remains): restarting it"
    if with_lock start_supervisor; then
        log info supervisor_restarted "supervisor restarted"
    else
        log error supervisor_restart_failed "restarting the supervisor failed (or $lock_file is held); trying again"
        return 1
    fi
}

# Pid files are replaced (a temp file renamed over the name), never written through.
write_pid() {
    local tmp
    tmp=$(mktemp "$run_dir/.pid.XXXXXX") || return 1
    if ! { echo "$2" >"$tmp" && chmod 0644 "$tmp" && mv -fT "$tmp" "$1"; }; then
        rm -f "$tmp"
        return 1
    fi
}

if [[ ${1:-} == --stop-orphans ]]; then
    (($# == 4)) || { echo "usage: $0 --stop-orphans RUN_DIR NGINX_PREFIX LOG_DIR" >&2; exit 2; }
    run_dir=$(realpath -m "$2") nginx_prefix=$(realpath -m "$3")/ error_log=$(realpath -m "$4")/nginx-error.log
    nginx_master || stop_orphans
    exit 0
fi

(($# > 4)) && [[ $4 == -- ]] ||
    { echo "usage: $0 RUN_DIR NGINX_PREFIX LOG_DIR -- NGINX_COMMAND [ARG...]" >&2; exit 2; }
run_dir=$1 nginx_prefix=$2 log_dir=$3 error_log=$3/nginx-error.log log_file=$3/responder.log
shift 4
nginx_cmd=("$@")
lock_file=$(dirname "$run_dir")/.lock
watchdog_pidfile=$run_dir/watchdog.pid
stopping=0
trap 'stopping=1' TERM INT
trap '' HUP

write_pid "$watchdog_pidfile" "$$" || log "cannot write $watchdog_pidfile"
log info watchdog_started "watching nginx and the responder's supervisor in $run_dir"
while ((!stopping)); do
    failed=0
    check_nginx || failed=1
    check_supervisor || failed=1
    # After a failed restart, wait a little longer before the next attempt.
    sleep $((failed ? 3 : 1)) &
    wait $! 2>/dev/null
done
# Only our own pid file: a successor started meanwhile keeps its.
[[ $(pid_in "$watchdog_pidfile") == "$$" ]] && rm -f "$watchdog_pidfile"
log info watchdog_stopped "watchdog exiting"
exit 0
