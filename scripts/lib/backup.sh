# Backup and point-in-time restore with pgBackRest, and the master key ring beside it.
# Sourced by scripts/kms. docs/OPERATIONS.md#backup-and-restore explains it for operators.
#
#   DIR/                  root 0755 (created if absent; postgres must be able to cross it)
#     repo/               postgres 0750   pgBackRest repository, stanza "kms": backups + archived WAL
#     keys/               root 0700       master.key, master.key.N (0600), demo-account.json (0600)
#   $KMS_HOME/backup/     root 0755
#     pgbackrest.conf     root 0644       generated; its presence means "this stack has a repository"
#     log/, lock/         postgres 0750   pgBackRest's log and lock files
#
# PostgreSQL always runs with archive_mode=on. Without a repository its archive_command is `true`:
# each WAL segment counts as archived at once and is recycled as before (pg_wal does not grow).
# With one, the server (OS user postgres) pushes every segment into DIR/repo as it completes, and
# at least once a minute (archive_timeout), so a key created after the last backup is restorable.

PGBACKREST=/usr/bin/pgbackrest
BACKUP_STANZA=kms
# A differential backup needs only its full backup; a new full one is taken once the newest is
# this many days old. Two full backups (with what depends on them) are kept.
BACKUP_FULL_DAYS=7
BACKUP_RETENTION_FULL=2

backup_paths() {
    BACKUP_HOME=$KMS_HOME/backup
    BACKUP_CONF=$BACKUP_HOME/pgbackrest.conf
}

# wal_archive_settings: the archiving lines of kms.conf (postgres_write_config).
wal_archive_settings() {
    backup_paths
    echo "archive_mode = on"
    if [[ -r $BACKUP_CONF ]]; then
        echo "archive_command = '$PGBACKREST --config=$BACKUP_CONF --stanza=$BACKUP_STANZA archive-push %p'"
        echo "archive_timeout = 60	# at most a minute of commits lives only in pg_wal"
    else
        echo "archive_command = 'true'	# no backup repository yet: nothing to archive into"
    fi
}

# wal_archive_mode_ensure: archive_mode only changes with a restart. A stack started before
# archiving existed is restarted once by `up` (the responder reconnects by itself).
wal_archive_mode_ensure() {
    local mode
    mode=$(psql_super -At -c "SHOW archive_mode") || die "cannot read archive_mode from PostgreSQL"
    [[ $mode == on ]] && return 0
    say "restarting PostgreSQL once to turn on WAL archiving (archive_mode needs a restart)"
    pg_tool pg_ctl -D "$PG_DATA" -l "$LOG_DIR/postgres.log" -m fast -w -t 60 -s restart 9>&- || {
        tail -n 20 "$LOG_DIR/postgres.log" >&2
        die "PostgreSQL did not restart (log: $LOG_DIR/postgres.log)"
    }
}

# wal_archive_flush: before PostgreSQL stops, the segment in progress is closed and archived, so
# that a restore elsewhere gets every acknowledged commit. No-op without a repository.
wal_archive_flush() {
    backup_paths
    [[ -r $BACKUP_CONF ]] && postgres_pid >/dev/null || return 0
    local segment archived deadline=$((SECONDS + 30))
    segment=$(psql_super -At -c "SELECT pg_walfile_name(pg_switch_wal())") || { warn "could not switch WAL segments"; return 0; }
    while :; do
        archived=$(psql_super -At -c "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") || archived=""
        # Same timeline: segment names order like their positions.
        [[ -n $archived && ( $archived == "$segment" || $archived > "$segment" ) ]] && return 0
        if ((SECONDS >= deadline)); then
            warn "WAL segment $segment is not archived after 30 s (see $LOG_DIR/postgres.log); it stays in pg_wal and is archived when PostgreSQL runs again"
            return 0
        fi
        sleep 0.2
    done
}

# pgbackrest_run ARGS...: pgBackRest as PostgreSQL's OS user with the configuration in
# PGBACKREST_CONF (this stack's, or restore's own while it runs).
pgbackrest_run() { as_user "$PG_USER" "$PGBACKREST" "--config=${PGBACKREST_CONF:-$BACKUP_CONF}" "--stanza=$BACKUP_STANZA" "$@"; }

# backup_dir_check DIR: DIR as an absolute path fit for a configuration file, outside KMS_HOME.
backup_dir_check() {
    local dir
    dir=$(realpath -m "$1")
    if [[ $dir =~ [[:space:]\"\'\\\;\$\`%] ]]; then
        die "DIR must not contain spaces, quotes, backslashes, ';', '\$', '%' or backquotes: $dir"
    fi
    [[ $dir == "$KMS_HOME" || $dir == "$KMS_HOME"/* || $KMS_HOME == "$dir"/* ]] &&
        die "DIR must lie outside KMS_HOME ($KMS_HOME): a backup inside what it backs up is lost with it"
    printf '%s\n' "$dir"
}

# backup_write_conf REPO [FILE]: pgBackRest's configuration for this stack (FILE: $BACKUP_CONF).
backup_write_conf() {
    local repo=$1 file=${2:-$BACKUP_CONF}
    make_dir "$BACKUP_HOME" root:root 0755
    make_dir "$BACKUP_HOME/log" "$PG_USER:$(id -gn "$PG_USER")" 0750
    make_dir "$BACKUP_HOME/lock" "$PG_USER:$(id -gn "$PG_USER")" 0750
    write_if_changed "$file" root:root 0644 <<EOF || true
# Written by scripts/kms (backup/restore): change the script, not this file.
[global]
repo1-path=$repo
repo1-retention-full=$BACKUP_RETENTION_FULL
compress-type=lz4
start-fast=y
log-path=$BACKUP_HOME/log
lock-path=$BACKUP_HOME/lock
log-level-console=warn
log-level-file=info

[$BACKUP_STANZA]
pg1-path=$PG_DATA
pg1-socket-path=$PG_SOCKET_DIR
pg1-port=5432
pg1-user=postgres
EOF
}

# The repository this stack archives into, empty when it has none.
backup_current_repo() {
    [[ -r $BACKUP_CONF ]] && sed -n 's/^repo1-path=//p' "$BACKUP_CONF" | head -n 1
    return 0
}

# master_key_ring_check CONTEXT: every master key file the database names is present, else
# the command stops with kmsctl's message naming each missing file.
master_key_ring_check() {
    kmsctl_run master-key check >/dev/null ||
        die "$1: kmsctl master-key check failed (above). A missing master key file: copy it from a backup's keys/ directory into $KMS_HOME (mode 0600, owner $SVC_USER) and run the command again"
}

# keys_copy SRC_DIR DST_DIR OWNER: copies master.key, master.key.N and demo-account.json, each
# 0600 and replaced by rename. A key file already in DST with other bytes is another stack's
# key: refused, never overwritten.
keys_copy() {
    local src=$1 dst=$2 key_owner=$3 file name owner
    for file in "$src"/master.key "$src"/master.key.[0-9]* "$src"/demo-account.json; do
        [[ -f $file ]] || continue
        name=${file##*/}
        if [[ $name == master.key* && -e $dst/$name ]] && ! cmp -s "$file" "$dst/$name"; then
            die "$dst/$name differs from $file: that directory holds another stack's master key ring (nothing written)"
        fi
    done
    for file in "$src"/master.key "$src"/master.key.[0-9]* "$src"/demo-account.json; do
        [[ -f $file ]] || continue
        name=${file##*/}
        owner=$key_owner
        [[ $name == demo-account.json ]] && owner=root:root
        cp -- "$file" "$dst/.$name.tmp.$$"
        chmod 0600 "$dst/.$name.tmp.$$"
        is_root && chown "$owner" "$dst/.$name.tmp.$$"
        mv -fT "$dst/.$name.tmp.$$" "$dst/$name"
    done
}

# master_key_rotate_and_copy ARGS...: `ctl master-key rotate`, then, when the stack has a backup
# repository, the ring copied to its keys/ directory (as `backup` does), so that a restore of the
# WAL archived after the rotation finds the new key.
master_key_rotate_and_copy() {
    backup_paths
    local rc=0 repo
    KMS_DATABASE_URL=$OWNER_DSN KMS_MASTER_KEY=$MASTER_KEY KMS_REGIONS=$KMS_REGIONS "$KMSCTL" "$@" || rc=$?
    repo=$(backup_current_repo)
    if [[ -n $repo ]]; then
        if [[ -d ${repo%/repo}/keys ]] && (keys_copy "$KMS_HOME" "${repo%/repo}/keys" root:root); then
            say "master key ring copied to ${repo%/repo}/keys"
        else
            warn "could not copy the master key ring to ${repo%/repo}/keys: run 'scripts/kms backup ${repo%/repo}' now, or a restore will lack the new key"
        fi
    fi
    return $rc
}

# The labels of the repository's backups, oldest first (`full backup: 20261130-054757F`, `diff
# backup: 20261130-054757F_20261130-054822D`).
backup_labels() {
    pgbackrest_run info 2>/dev/null | sed -n 's/^ *\(full\|diff\|incr\) backup: \([0-9A-Z_-]*\).*/\2/p'
}

# The start time (seconds) of the newest full backup in the repository, 0 when there is none.
# pgBackRest labels a full backup YYYYMMDD-HHMMSSF, in the server's local time.
backup_newest_full() {
    local label
    label=$(backup_labels | grep 'F$' | tail -n 1) || true
    [[ -n $label ]] || { echo 0; return; }
    date -d "${label:0:8} ${label:9:2}:${label:11:2}:${label:13:2}" +%s 2>/dev/null || echo 0
}

cmd_backup() {
    local full=0 new_repo=0 dir=""
    while (($#)); do
        case $1 in
        --full) full=1 ;;
        --new-repository) new_repo=1 ;;
        -*) die "usage: scripts/kms backup [--full] [--new-repository] DIR" ;;
        *) [[ -z $dir ]] || die "usage: scripts/kms backup [--full] [--new-repository] DIR"; dir=$1 ;;
        esac
        shift
    done
    [[ -n $dir ]] || die "usage: scripts/kms backup [--full] [--new-repository] DIR"
    load_config
    backup_paths
    dir=$(backup_dir_check "$dir")
    if [[ ! -d $KMS_HOME ]] || ! postgres_pid >/dev/null; then
        die "this stack's PostgreSQL is not running (KMS_HOME=$KMS_HOME): run scripts/kms up first"
    fi
    [[ -x $KMSCTL ]] || die "$KMSCTL is missing: run 'swift build -c release'"
    master_key_ring_check "not backing up"

    local current
    current=$(backup_current_repo)
    if [[ -n $current && $current != "$dir/repo" ]] && ((!new_repo)); then
        die "this stack already backs up to ${current%/repo}: its WAL is archived there continuously, so one repository holds its whole history. Back up there, or make $dir the repository with 'scripts/kms backup --new-repository $dir' (a full backup; ${current%/repo} is no longer updated and keeps what it has)"
    fi

    ensure_apt_packages pgbackrest
    lock_home

    make_dir "$dir" root:root 0755
    as_user "$PG_USER" test -x "$dir" ||
        die "user '$PG_USER' cannot enter $dir (or a directory above it): PostgreSQL's archive runs as '$PG_USER' and must reach $dir/repo"
    [[ -d $dir/repo ]] || make_dir "$dir/repo" "$PG_USER:$(id -gn "$PG_USER")" 0750
    make_dir "$dir/keys" root:root 0700
    # The keys first: a database backup that exists always has its key ring beside it.
    keys_copy "$KMS_HOME" "$dir/keys" root:root

    backup_write_conf "$dir/repo"
    # archive_command now pushes into the repository (a reload suffices for it).
    postgres_write_config && pg_tool pg_ctl -D "$PG_DATA" -s reload
    wal_archive_mode_ensure
    pgbackrest_run stanza-create >/dev/null ||
        die "pgbackrest stanza-create failed for $dir/repo (does it hold another database's backups? log: $BACKUP_HOME/log)"

    local type=diff newest
    newest=$(backup_newest_full)
    if ((full || newest == 0 || $(date +%s) - newest > BACKUP_FULL_DAYS * 86400)) || [[ $current != "$dir/repo" ]]; then
        type=full
    fi
    say "taking a $type backup of PostgreSQL into $dir/repo (pgBackRest)"
    pgbackrest_run backup "--type=$type" || die "pgbackrest backup failed (log: $BACKUP_HOME/log)"
    local label
    label=$(backup_labels | tail -n 1) || true
    say "backup ${label:-done} ($type) in $dir/repo; WAL is archived there continuously from now on"
    local names=("$dir"/keys/master.key*)
    say "master key ring written to $dir/keys (${names[*]##*/})"
    warn "$dir/keys holds the master keys: with them, the database backup opens every key. Store $dir/keys apart from $dir/repo (another medium, a safe); 'scripts/kms ctl master-key rotate' adds each new key there"
}

# restore_target TIME: TIME with an explicit zone, in the form pgBackRest and PostgreSQL both read.
restore_target() {
    local time=$1
    [[ $time =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}[T\ ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$ ]] ||
        die "--to needs a time with its zone, e.g. '2026-11-30 05:48:00+00' or 2026-11-30T05:48:00Z: $time"
    time=${time/T/ }
    printf '%s\n' "${time/%Z/+00}"
}

cmd_restore() {
    local usage="usage: scripts/kms restore [--to TIME] DIR" dir="" target=""
    while (($#)); do
        case $1 in
        --to) (($# >= 2)) || die "$usage"; target=$(restore_target "$2"); shift ;;
        -*) die "$usage" ;;
        *) [[ -z $dir ]] || die "$usage"; dir=$1 ;;
        esac
        shift
    done
    [[ -n $dir ]] || die "$usage"
    load_config
    backup_paths
    dir=$(backup_dir_check "$dir")
    [[ -d $dir/repo ]] || die "$dir/repo does not exist: DIR must be a directory that 'scripts/kms backup DIR' wrote"
    [[ -f $dir/keys/master.key ]] ||
        die "$dir/keys/master.key is missing: without the master key ring the database backup opens nothing (bring back $dir/keys)"
    if [[ -e $KMS_HOME && ! -d $KMS_HOME ]] || [[ -d $KMS_HOME && -n $(ls -A "$KMS_HOME") ]]; then
        die "KMS_HOME=$KMS_HOME is not empty: restore only fills an empty KMS_HOME and never overwrites a stack. Choose a new KMS_HOME (or move this one away)"
    fi
    check_socket_paths

    ensure_apt_packages "${STACK_PACKAGES[@]}" pgbackrest
    build_release
    [[ -x $KMSCTL ]] || die "$KMSCTL is missing: run 'swift build -c release'"
    ensure_service_users
    as_user "$PG_USER" test -r "$dir/repo/backup/$BACKUP_STANZA/backup.info" ||
        die "user '$PG_USER' cannot read $dir/repo/backup/$BACKUP_STANZA/backup.info (no backup there, or owned by another uid: chown -R $PG_USER $dir/repo)"

    mkdir -p "$KMS_HOME"
    chmod 0755 "$KMS_HOME"
    lock_home
    prepare_layout
    save_config
    keys_copy "$dir/keys" "$KMS_HOME" "$SVC_USER:$(id -gn "$SVC_USER")"

    # Restored with a configuration of its own; afterwards this stack has no repository: a copy
    # that archived into DIR too would fork the history a later restore of the original follows.
    # Restored with a configuration of its own, removed once WAL is replayed: afterwards this
    # stack has no repository. A copy that archived into DIR too would fork the history that a
    # later restore of the original stack follows.
    local PGBACKREST_CONF=$BACKUP_HOME/restore.conf
    backup_write_conf "$dir/repo" "$PGBACKREST_CONF"
    local recovery=(--type=default)
    if [[ -n $target ]]; then
        # The newest backup that ended before TIME, then WAL up to TIME; then it is promoted.
        recovery=(--type=time "--target=$target" --target-action=promote)
        say "restoring PostgreSQL from $dir/repo as it was at $target (a backup, then archived WAL up to that time)"
    else
        say "restoring PostgreSQL from $dir/repo (newest backup, then every archived WAL segment)"
    fi
    pgbackrest_run restore "${recovery[@]}" >/dev/null ||
        die "pgbackrest restore failed (log: $BACKUP_HOME/log); remove $KMS_HOME before trying again"
    grep -q "^restore_command = .*--config=$PGBACKREST_CONF" "$PG_DATA/postgresql.auto.conf" ||
        die "pgbackrest restore wrote no restore_command with $PGBACKREST_CONF into $PG_DATA/postgresql.auto.conf"
    # The restored kms.conf and pg_hba.conf name the old KMS_HOME's paths: this stack's replace them.
    postgres_write_config || true
    postgres_start

    local deadline=$((SECONDS + ${KMS_RESTORE_TIMEOUT:-600})) recovering
    while :; do
        recovering=$(psql_super -At -c "SELECT pg_is_in_recovery()" 2>/dev/null) || recovering=t
        [[ $recovering == f ]] && break
        if ! postgres_pid >/dev/null; then
            tail -n 5 "$LOG_DIR/postgres.log" >&2
            die "PostgreSQL stopped during recovery (e.g. a --to time before the oldest backup, or WAL missing from $dir/repo); log: $LOG_DIR/postgres.log"
        fi
        ((SECONDS < deadline)) || die "PostgreSQL is still replaying WAL after ${KMS_RESTORE_TIMEOUT:-600} s (log: $LOG_DIR/postgres.log)"
        sleep 0.3
    done
    psql_super -c "ALTER SYSTEM RESET restore_command" -c "SELECT pg_reload_conf()" >/dev/null ||
        warn "could not remove restore_command from $PG_DATA/postgresql.auto.conf"
    rm -f "$PGBACKREST_CONF"
    say "WAL replayed ${target:+up to $target}${target:-to the end of the archive}: $(grep -c 'restored log file' "$LOG_DIR/postgres.log" || true) segments from $dir/repo"

    if ! kmsctl_run master-key check >/dev/null; then
        postgres_stop
        die "restore: the database is back in $KMS_HOME, but it needs master key files that $dir/keys lacks (named above). Copy them into $KMS_HOME (mode 0600, owner $SVC_USER), then scripts/kms up"
    fi
    postgres_stop
    say "restored into $KMS_HOME; start it with: KMS_HOME=$KMS_HOME scripts/kms up"
    say "this stack has no backup repository yet: take a fresh one with 'scripts/kms backup NEWDIR'"
}
