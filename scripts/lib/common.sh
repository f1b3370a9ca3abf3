# Shared by scripts/kms: configuration, messages and small process/file utilities.
# Sourced, not run. Expects REPO to be set.

PG_BIN=/usr/lib/postgresql/15/bin
DEFAULT_REGIONS="ap-guangzhou=FIPS,ap-beijing=FIPS,ap-shanghai-fsi=SM"
# Settings that `up` remembers in $KMS_HOME/stack.env, so that `status`, `down` and a
# later `up` of the same stack agree on ports etc. without the caller repeating them.
CONFIG_KEYS=(KMS_HTTP_PORT KMS_HTTPS_PORT KMS_REGIONS KMS_WORKERS KMS_FRONT_WORKERS KMS_LOG_LEVEL KMS_RATE_LIMIT KMS_CPU_BUDGET KMS_DATA_KEY_LIMIT KMS_CACHE_STALE_SECONDS KMS_TLS_CERT KMS_TLS_KEY KMS_TLS_CA)
# Unix socket paths (sun_path) hold at most 107 characters plus the terminating NUL.
MAX_SOCKET_PATH=107

say()  { printf 'kms: %s\n' "$*"; }
warn() { printf 'kms: warning: %s\n' "$*" >&2; }
die()  { printf 'kms: error: %s\n' "$*" >&2; exit 1; }

is_root() { [[ $(id -u) -eq 0 ]]; }

# Make the toolchain reachable even from a minimal environment (CI, sudo).
if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    PATH=/opt/swift/usr/bin:$PATH
fi

# load_config: resolves KMS_HOME and every setting (environment > stack.env > default)
# and derives all paths. Creates nothing.
load_config() {
    KMS_HOME=$(realpath -m "${KMS_HOME:-$REPO/.kms}")
    # The path ends up in DSNs, nginx.conf and postgresql.conf; keep it free of quoting trouble.
    if [[ $KMS_HOME =~ [[:space:]\"\'\\\;\$\`] ]]; then
        die "KMS_HOME must not contain spaces, quotes, backslashes, ';', '\$' or backquotes: $KMS_HOME"
    fi

    STACK_ENV=$KMS_HOME/stack.env
    RUN_DIR=$KMS_HOME/run
    PG_SOCKET_DIR=$RUN_DIR/pg
    FCGI_DIR=$RUN_DIR/fcgi
    FCGI_SOCKET=$FCGI_DIR/responder.sock
    FCGI_FRONT_SOCKET=$FCGI_DIR/front.sock
    LOG_DIR=$KMS_HOME/log
    PG_DATA=$KMS_HOME/pg
    TLS_DIR=$KMS_HOME/tls
    NGINX_DIR=$KMS_HOME/nginx
    NGINX_CONF=$NGINX_DIR/nginx.conf
    BIN_DIR=$KMS_HOME/bin
    MASTER_KEY=$KMS_HOME/master.key
    DEMO_ACCOUNT=$KMS_HOME/demo-account.json
    BUILD_DIR=$REPO/.build/release

    # A setting present in the environment wins, even when empty: `KMS_TLS_CERT= scripts/kms up`
    # reverts to the default instead of keeping the remembered value.
    local key value
    if [[ -r $STACK_ENV ]]; then
        while IFS='=' read -r key value; do
            [[ " ${CONFIG_KEYS[*]} " == *" $key "* ]] || continue
            [[ -v $key ]] || printf -v "$key" '%s' "$value"
        done <"$STACK_ENV"
    fi
    KMS_HTTP_PORT=${KMS_HTTP_PORT:-8080}
    KMS_HTTPS_PORT=${KMS_HTTPS_PORT:-8443}
    KMS_REGIONS=${KMS_REGIONS:-$DEFAULT_REGIONS}
    # Eight worker threads per core. They serve what waits on PostgreSQL: the front lane below
    # has the cached crypto, whose tail more threads used to lengthen (on 2 cores, 16 workers gave
    # 2.5 x the Encrypt p99 of 8 when they served everything). More commits in flight share more
    # WAL flushes: CreateKey 1,000-1,250/s with 16 or 32 workers against 800-900/s with 8 (2 cores,
    # loaded). At most 64 by default: each worker holds a PostgreSQL connection, and the stack's
    # PostgreSQL allows 100 (64 + the front lane's 16 at most + ~6 of the background threads).
    local default_workers=$((8 * $(nproc)))
    ((default_workers <= 64)) || default_workers=64
    KMS_WORKERS=${KMS_WORKERS:-$default_workers}
    # The front lane (nginx sends Encrypt, Decrypt, … there): one thread per core, as cached
    # crypto never waits; 0 sends every action to the workers above. At most 16 by default, 64 set.
    local default_front=$(nproc)
    ((default_front <= 16)) || default_front=16
    KMS_FRONT_WORKERS=${KMS_FRONT_WORKERS:-$default_front}
    KMS_LOG_LEVEL=${KMS_LOG_LEVEL:-info}
    KMS_RATE_LIMIT=${KMS_RATE_LIMIT:-10000}
    KMS_CPU_BUDGET=${KMS_CPU_BUDGET:-500}
    KMS_DATA_KEY_LIMIT=${KMS_DATA_KEY_LIMIT:-10000}
    KMS_CACHE_STALE_SECONDS=${KMS_CACHE_STALE_SECONDS:-30}
    KMS_TLS_CERT=${KMS_TLS_CERT:-}
    KMS_TLS_KEY=${KMS_TLS_KEY:-}
    KMS_TLS_CA=${KMS_TLS_CA:-}
    listen_config

    local port
    for port in "$KMS_HTTP_PORT" "$KMS_HTTPS_PORT"; do
        if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then die "not a TCP port: $port"; fi
    done
    [[ $KMS_HTTP_PORT != "$KMS_HTTPS_PORT" ]] || die "KMS_HTTP_PORT and KMS_HTTPS_PORT must differ"
    [[ $KMS_WORKERS =~ ^[1-9][0-9]{0,2}$ ]] && ((KMS_WORKERS <= 512)) || die "KMS_WORKERS must be a whole number from 1 to 512: $KMS_WORKERS"
    [[ $KMS_FRONT_WORKERS =~ ^[0-9]{1,2}$ ]] && ((KMS_FRONT_WORKERS <= 64)) ||
        die "KMS_FRONT_WORKERS must be a whole number from 0 (no front lane) to 64: $KMS_FRONT_WORKERS"
    [[ $KMS_RATE_LIMIT =~ ^[0-9]+$ ]] || die "KMS_RATE_LIMIT must be a whole number of requests per second (0 = off): $KMS_RATE_LIMIT"
    [[ $KMS_CPU_BUDGET =~ ^[0-9]+$ ]] || die "KMS_CPU_BUDGET must be a whole number of CPU milliseconds per second (0 = off): $KMS_CPU_BUDGET"
    [[ $KMS_DATA_KEY_LIMIT =~ ^[0-9]{1,9}$ ]] ||
        die "KMS_DATA_KEY_LIMIT must be a whole number of data keys per account and region (0 = no hosted data keys): $KMS_DATA_KEY_LIMIT"
    [[ $KMS_CACHE_STALE_SECONDS =~ ^[0-9]{1,4}$ ]] && ((KMS_CACHE_STALE_SECONDS <= 3600)) ||
        die "KMS_CACHE_STALE_SECONDS must be a whole number of seconds from 0 to 3600 (0 = caches emptied when the invalidation connection breaks): $KMS_CACHE_STALE_SECONDS"
    [[ $KMS_REGIONS =~ ^[A-Za-z0-9-]+=[A-Za-z0-9]+(,[A-Za-z0-9-]+=[A-Za-z0-9]+)*$ ]] ||
        die "KMS_REGIONS must look like 'ap-guangzhou=FIPS,ap-shanghai-fsi=SM': $KMS_REGIONS"

    # Who runs what. As root: PostgreSQL as `postgres` (it refuses root), the responder as
    # the unprivileged `kms`, nginx workers as `www-data`, which reaches the responder's
    # socket through its group. As a developer: everything as that developer.
    if is_root; then
        PG_USER=postgres SVC_USER=kms WEB_USER=www-data SOCKET_GROUP=www-data
    else
        PG_USER=$(id -un) SVC_USER=$(id -un) WEB_USER=$(id -un) SOCKET_GROUP=$(id -gn)
    fi

    APP_DSN="host=$PG_SOCKET_DIR dbname=kms user=kms_app"
    OWNER_DSN="host=$PG_SOCKET_DIR dbname=kms user=kms_owner"
    SUPER_DSN="host=$PG_SOCKET_DIR dbname=postgres user=postgres"
    DATABASE_URL="postgresql:///kms?host=$PG_SOCKET_DIR&user=kms_app"

    if [[ -n $KMS_TLS_CERT ]]; then
        TLS_CERT=$KMS_TLS_CERT TLS_KEY=$KMS_TLS_KEY CA_FILE=$KMS_TLS_CA
    else
        TLS_CERT=$TLS_DIR/server.pem TLS_KEY=$TLS_DIR/server.key CA_FILE=$TLS_DIR/ca.pem
    fi

    KMSCTL=${KMS_CTL_BIN:-$BUILD_DIR/kmsctl}
    metrics_load_config
}

save_config() {
    local key tmp=$STACK_ENV.tmp.$$
    for key in "${CONFIG_KEYS[@]}"; do printf '%s=%s\n' "$key" "${!key}"; done >"$tmp"
    chmod 0644 "$tmp"
    mv -fT "$tmp" "$STACK_ENV"
}

# Region names (without their profiles), one per line.
region_names() { tr ',' '\n' <<<"$KMS_REGIONS" | cut -d= -f1; }

check_socket_paths() {
    local path
    for path in "$PG_SOCKET_DIR/.s.PGSQL.5432" "$FCGI_SOCKET"; do
        if ((${#path} > MAX_SOCKET_PATH)); then
            die "KMS_HOME is too deep: the Unix socket $path would be ${#path} characters (limit $MAX_SOCKET_PATH). Use a shorter KMS_HOME."
        fi
    done
}

# as_user USER CMD...: runs CMD as USER (from / so that tools that look at their
# working directory do not trip over root's home).
as_user() {
    local user=$1
    shift
    if [[ $user == "$(id -un)" ]]; then
        "$@"
    else
        (cd / && runuser -u "$user" -- "$@")
    fi
}

# pid_from_file FILE USER EXES PATTERN: prints the pid in FILE's first line if that process
# is alive and is the one this stack started: its real user is USER, its executable one of EXES
# ('|'-separated; checked where /proc lets us read it) and its command line contains PATTERN.
# A pid file alone is never trusted (a pid is reused; the old layout let postgres write here):
# a live process that does not match is reported (once) and never signalled. A symbolic link
# is not a pid file.
declare -gA PID_REPORTED=()
pid_from_file() {
    local file=$1 user=$2 exes=$3 pattern=$4 pid uid cmdline exe
    if [[ -L $file ]]; then
        pid_report "$file" "is a symbolic link, not a pid file; ignoring it"
        return 1
    fi
    [[ -f $file && -r $file ]] || return 1
    read -r pid <"$file" || [[ -n ${pid:-} ]] || return 1
    [[ $pid =~ ^[1-9][0-9]{0,9}$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    # An exited process that nobody has reaped yet is not running.
    [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 1
    # The real uid from status: a non-dumpable process's /proc files all belong to root.
    uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || exe=""
    exe=${exe% (deleted)}   # the binary was replaced since it started (responder_install)
    if [[ $uid != "$(id -u "$user" 2>/dev/null)" || $cmdline != *"$pattern"* ]] || ! exe_matches "$exe" "$exes"; then
        pid_report "$file" "names pid $pid (user $(id -un "$uid" 2>/dev/null || echo "$uid"), ${exe:-${cmdline%% *}}), which is not the process this stack started; not signalling it"
        return 1
    fi
    printf '%s\n' "$pid"
}

# exe_matches EXE EXES: EXE (empty: unreadable, not checked) is one of EXES; a name that
# exe_path could not resolve (not on this PATH) is compared with EXE's base name.
exe_matches() {
    local exe=$1 candidate
    [[ -z $exe ]] && return 0
    local -a candidates
    IFS="|" read -ra candidates <<<"$2"
    for candidate in "${candidates[@]}"; do
        [[ $candidate == "$exe" || ($candidate != */* && $candidate == "${exe##*/}") ]] && return 0
    done
    return 1
}

pid_report() {
    [[ -n ${PID_REPORTED[$1]:-} ]] && return 0
    PID_REPORTED[$1]=1
    warn "$1 $2"
}

# The resolved path of a program (what /proc/PID/exe shows for it).
# A program that is not found stays a bare name (compared by base name, see exe_matches).
exe_path() {
    local found
    if found=$(command -v "$1" 2>/dev/null) && [[ $found == /* ]]; then
        realpath -e "$found" 2>/dev/null || printf '%s\n' "$found"
    else
        printf '%s\n' "${1##*/}"
    fi
}

# wait_gone PID SECONDS: true once PID has exited, false on timeout.
wait_gone() {
    local pid=$1 deadline=$((SECONDS + $2))
    while [[ -e /proc/$pid ]]; do
        # A zombie has exited; its parent just has not reaped it yet.
        [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]] && return 0
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# port_in_use PORT: something on this machine accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# install_file SRC DST MODE: copies SRC over DST atomically (a running program keeps
# its old inode). Returns 0 if DST changed, 1 if it was already identical.
install_file() {
    local src=$1 dst=$2 mode=$3
    [[ -f $dst ]] && cmp -s "$src" "$dst" && return 1
    cp "$src" "$dst.tmp.$$"
    chmod "$mode" "$dst.tmp.$$"
    mv -fT "$dst.tmp.$$" "$dst"
}

# write_if_changed FILE OWNER MODE < content: returns 0 if FILE changed. A new file replaces
# FILE by rename, so a symbolic link at FILE is replaced, never written through.
write_if_changed() {
    local file=$1 owner=$2 mode=$3 tmp
    tmp=$(mktemp "$file.XXXXXX")
    cat >"$tmp"
    if [[ -f $file && ! -L $file ]] && cmp -s "$tmp" "$file"; then
        rm -f "$tmp"
        return 1
    fi
    chmod "$mode" "$tmp"
    is_root && chown "$owner" "$tmp"
    mv -fT "$tmp" "$file"
}

json_string() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    printf '"%s"' "$s"
}

# json_field NAME < json: the value of a top-level string or number field (flat JSON only;
# enough for kmsctl's account output without depending on jq or python).
json_field() {
    sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\{0,1\}\([^\",}]*\)\"\{0,1\}.*/\1/p" | head -n 1
}
