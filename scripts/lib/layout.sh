# Service users and the $KMS_HOME directory tree. Sourced by scripts/kms.
#
#   $KMS_HOME/            invoking user 0755
#     pg/                 postgres 0700          PostgreSQL data
#     run/                root 0755              root's pid files (nginx, supervisor, responder), responder.cmd
#       pg/               postgres 0755          PostgreSQL's socket and its lock file
#       fcgi/             kms:www-data 0750      the responder's socket (0660, group www-data)
#     log/                root 0755              postgres.log (owned by postgres), responder.log (kms 0640), nginx-*.log
#     tls/                root 0755              ca.pem, server.pem; ca.key, server.key 0600
#     nginx/              root 0755              rendered nginx.conf; tmp/ owned by www-data
#     bin/                root 0755              installed responder + supervisor (the repo may be unreadable to kms)
#     master.key          kms 0600
#     demo-account.json   root 0600

ensure_service_users() {
    is_root || return 0
    id postgres >/dev/null 2>&1 || die "no 'postgres' user: is the postgresql-15 package installed?"
    getent group www-data >/dev/null || die "no 'www-data' group: is the nginx package installed?"
    if ! id kms >/dev/null 2>&1; then
        say "creating system user kms"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin --comment "KMS responder" kms
    fi
    # The responder hands its socket to group www-data, which it can only do as a member.
    if ! id -nG kms | tr ' ' '\n' | grep -qx www-data; then
        usermod -a -G www-data kms
    fi
}

# make_dir PATH OWNER:GROUP MODE (ownership only applied as root).
make_dir() {
    mkdir -p "$1"
    chmod "$3" "$1"
    is_root && chown "$2" "$1"
    return 0
}

prepare_layout() {
    mkdir -p "$KMS_HOME"
    is_root && check_traversable
    local pg_group
    pg_group=$(id -gn "$PG_USER")
    make_dir "$PG_DATA" "$PG_USER:$pg_group" 0700
    # Only root writes in run/: no other user can swap a pid file root writes or reads.
    make_dir "$RUN_DIR" root:root 0755
    make_dir "$PG_SOCKET_DIR" "$PG_USER:$pg_group" 0755
    make_dir "$FCGI_DIR" "$SVC_USER:$SOCKET_GROUP" 0750
    remove_planted_links
    make_dir "$LOG_DIR" root:root 0755
    make_dir "$TLS_DIR" root:root 0755
    make_dir "$NGINX_DIR" root:root 0755
    make_dir "$NGINX_DIR/tmp" "$WEB_USER:$(id -gn "$WEB_USER")" 0700
    make_dir "$BIN_DIR" root:root 0755
}

# A symbolic link where root writes a pid file (left from the old layout, when postgres could
# write in run/) is removed, with a warning: nginx opens its pid file following links.
remove_planted_links() {
    local name
    for name in nginx.pid supervisor.pid responder.pid responder.cmd; do
        [[ -L $RUN_DIR/$name ]] || continue
        warn "$RUN_DIR/$name is a symbolic link (to $(readlink "$RUN_DIR/$name")); removing it, not writing through it"
        rm -f "$RUN_DIR/$name"
    done
}

# A KMS_HOME laid out before issue 10 had run/ as root:postgres 0775 with PostgreSQL's socket
# in it. Its stack is stopped (every pid checked before it is signalled) so that PostgreSQL
# comes back with its socket in run/pg/ and the responder with the new DSN; `up` then starts
# it again. Stale socket files of a stopped server are removed.
migrate_layout() {
    [[ -e $RUN_DIR/.s.PGSQL.5432.lock || ( -d $RUN_DIR && ! -d $PG_SOCKET_DIR ) ]] || return 0
    say "migrating $RUN_DIR to the current layout (PostgreSQL's socket moves to $PG_SOCKET_DIR)"
    nginx_stop
    responder_stop
    postgres_stop
    if ! postgres_pid >/dev/null; then
        rm -f "$RUN_DIR/.s.PGSQL.5432" "$RUN_DIR/.s.PGSQL.5432.lock"
    fi
}

# Every service user must be able to walk down to $KMS_HOME: a home directory under
# /root (0700) works for root's shell but not for postgres, kms or nginx's workers.
check_traversable() {
    local user dir part parts
    for user in "$PG_USER" "$SVC_USER" "$WEB_USER"; do
        runuser -u "$user" -- test -x "$KMS_HOME" && continue
        # Walk down from / to name the first directory the user cannot cross.
        dir=/
        IFS=/ read -ra parts <<<"${KMS_HOME#/}"
        for part in "${parts[@]}"; do
            dir=${dir%/}/$part
            runuser -u "$user" -- test -x "$dir" || break
        done
        die "user '$user' cannot traverse $dir (needs o+x), so it cannot reach KMS_HOME=$KMS_HOME. Choose a KMS_HOME under a world-traversable directory (e.g. KMS_HOME=/srv/kms or /var/lib/kms), or 'chmod o+x $dir'."
    done
}
