# PostgreSQL 15 under $KMS_HOME/pg, reachable only through its Unix socket in
# $KMS_HOME/run/pg. Sourced by scripts/kms.

pg_tool() { as_user "$PG_USER" "$PG_BIN/$1" "${@:2}"; }

# The postmaster of this data directory, as the PostgreSQL user (postmaster.pid is postgres's file).
postgres_pid() { pid_from_file "$PG_DATA/postmaster.pid" "$PG_USER" "$(exe_path "$PG_BIN/postgres")" "-D $PG_DATA"; }

# psql_super [psql args]: a psql session as the `postgres` superuser (peer-mapped).
psql_super() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$SUPER_DSN" "$@"; }

postgres_init() {
    if [[ ! -s $PG_DATA/PG_VERSION ]]; then
        say "initialising PostgreSQL in $PG_DATA"
        pg_tool initdb -D "$PG_DATA" -U postgres --auth-local=peer --auth-host=reject \
            -E UTF8 --locale=C >"$LOG_DIR/initdb.log" 2>&1 ||
            { cat "$LOG_DIR/initdb.log" >&2; die "initdb failed"; }
        # Our settings live in kms.conf, rewritten by every `up`.
        printf "\n# Settings of this KMS stack (written by scripts/kms).\ninclude 'kms.conf'\n" |
            as_user "$PG_USER" tee -a "$PG_DATA/postgresql.conf" >/dev/null
    fi
    if postgres_write_config && postgres_pid >/dev/null; then
        pg_tool pg_ctl -D "$PG_DATA" -s reload
    fi
}

# Returns 0 if any configuration file changed.
postgres_write_config() {
    local changed=1 owner
    owner="$PG_USER:$(id -gn "$PG_USER")"
    write_if_changed "$PG_DATA/kms.conf" "$owner" 0600 <<EOF && changed=0
# Written by scripts/kms on every 'up': change the script, not this file.
# Unix socket only: no TCP listener, so several stacks never collide on a port.
listen_addresses = ''
port = 5432
unix_socket_directories = '$PG_SOCKET_DIR'
unix_socket_permissions = 0777	# who may log in is decided by pg_hba.conf (peer) alone
max_connections = 100

# Durability: an acknowledged write (a new key, an import) must survive a crash.
fsync = on
synchronous_commit = on
full_page_writes = on
# Group commit: a committing transaction waits up to 100 µs when others are committing too, so
# one WAL flush makes several of them durable (every commit still waits for its flush).
commit_delay = 100
commit_siblings = 2
shared_buffers = 256MB
# plan_cache_mode stays 'auto': the responder itself sends every statement that has an access
# path to choose as an unnamed statement, planned for its values each time (a generic plan was
# once seen scanning a tenant's keys for a primary-key lookup), and prepares only INSERTs.
# Forcing custom plans for everything also re-planned the foreign-key checks of every INSERT,
# which cost CreateKey a fifth of its throughput.

timezone = 'UTC'
log_timezone = 'UTC'
# stderr goes to $LOG_DIR/postgres.log through 'pg_ctl -l'.
logging_collector = off
log_destination = 'stderr'
log_line_prefix = '%m [%p] %q%u@%d '
# Never copy statement text or bind parameters into the log: they may carry sealed
# values, and a bug must not turn into a secret in a log file.
log_statement = 'none'
log_min_duration_statement = -1
log_min_error_statement = panic
log_parameter_max_length = 0
log_parameter_max_length_on_error = 0

$(wal_archive_settings)
EOF
    write_if_changed "$PG_DATA/pg_hba.conf" "$owner" 0600 <<'EOF' && changed=0
# Written by scripts/kms. Unix socket, peer authentication through the 'kms' map only.
# TYPE  DATABASE  USER  METHOD
local   all       all   peer map=kms
EOF
    postgres_ident_map | write_if_changed "$PG_DATA/pg_ident.conf" "$owner" 0600 && changed=0
    return $changed
}

postgres_ident_map() {
    echo "# Written by scripts/kms. Which OS user may log in as which database role."
    echo "# MAPNAME  SYSTEM-USERNAME  PG-USERNAME"
    if is_root; then
        printf 'kms  %-9s %s\n' kms kms_app root kms_app root kms_owner root postgres \
            postgres postgres postgres kms_owner
    else
        local me
        me=$(id -un)
        printf 'kms  %-9s %s\n' "$me" kms_app "$me" kms_owner "$me" postgres
    fi
}

postgres_start() {
    local pid
    if pid=$(postgres_pid); then
        say "PostgreSQL already running (pid $pid)"
        return 0
    fi
    say "starting PostgreSQL"
    if [[ ! -e $LOG_DIR/postgres.log ]]; then
        touch "$LOG_DIR/postgres.log"
        chmod 0640 "$LOG_DIR/postgres.log"
    fi
    is_root && chown "$PG_USER" "$LOG_DIR/postgres.log"
    # 9>&-: the server must not inherit our lock on $KMS_HOME.
    pg_tool pg_ctl -D "$PG_DATA" -l "$LOG_DIR/postgres.log" -w -t 60 -s start 9>&- || {
        tail -n 20 "$LOG_DIR/postgres.log" >&2
        die "PostgreSQL did not start (log: $LOG_DIR/postgres.log)"
    }
}

postgres_stop() {
    local pid
    if ! pid=$(postgres_pid); then
        say "PostgreSQL not running"
        return 0
    fi
    say "stopping PostgreSQL (pid $pid)"
    pg_tool pg_ctl -D "$PG_DATA" -m fast -w -t 30 -s stop ||
        warn "pg_ctl stop failed (log: $LOG_DIR/postgres.log)"
}

postgres_ensure_roles() {
    psql_super <<'SQL'
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kms_owner') THEN
        CREATE ROLE kms_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kms_app') THEN
        CREATE ROLE kms_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;
-- Row-level security binds the application role: never let it bypass it.
ALTER ROLE kms_app NOSUPERUSER NOBYPASSRLS;
SQL
}

# postgres_ensure_database NAME: creates NAME owned by kms_owner if absent; only
# kms_owner and kms_app may connect.
postgres_ensure_database() {
    psql_super -v db="$1" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER kms_owner TEMPLATE template0 ENCODING %L LOCALE %L',
              :'db', 'UTF8', 'C')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')
\gexec
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO kms_app;
SQL
}
