# `scripts/kms install-systemd [--dir DIR] [--name NAME]`: unit files that run this stack
# (its KMS_HOME, users, sockets, ports, the binaries under $KMS_HOME/bin) under systemd instead of
# scripts/kms's supervisor and watchdog. Sourced by scripts/kms.
#
#   kms-NAME.target              the stack; `systemctl enable --now kms-NAME.target`
#   kms-NAME-postgres.service    PostgreSQL 15 on $KMS_HOME/pg (Type=notify, as postgres)
#   kms-NAME-responder.service   the responder, directly (Restart=always, as the service user)
#   kms-NAME-nginx.service       nginx with the rendered $KMS_HOME/nginx/nginx.conf (ExecReload)
#
# $KMS_HOME/systemd.env records where the units went; while they are there, `up` refuses (the two
# would fight over the same processes) and `down` refuses while systemd runs them.

SYSTEMD_DEFAULT_DIR=/etc/systemd/system
SYSTEMD_DEFAULT_NAME=main

# systemd_marker_read: sets SYSTEMD_UNIT_DIR and SYSTEMD_NAME from $KMS_HOME/systemd.env; fails
# when the units it names are gone (removed by the operator or a test's throw-away --dir).
systemd_marker_read() {
    local key value
    SYSTEMD_UNIT_DIR="" SYSTEMD_NAME=""
    [[ -f $KMS_HOME/systemd.env && ! -L $KMS_HOME/systemd.env ]] || return 1
    while IFS='=' read -r key value; do
        case $key in
        UNIT_DIR) SYSTEMD_UNIT_DIR=$value ;;
        UNIT_NAME) SYSTEMD_NAME=$value ;;
        esac
    done <"$KMS_HOME/systemd.env"
    [[ -n $SYSTEMD_UNIT_DIR && -n $SYSTEMD_NAME && -f $SYSTEMD_UNIT_DIR/kms-$SYSTEMD_NAME.target ]]
}

# systemd_running: this host's PID 1 is systemd (not the case in containers like CI's).
systemd_running() { [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; }

# systemd_refuse up|down: `up` refuses once the units are installed; `down` while systemd runs them.
systemd_refuse() {
    systemd_marker_read || return 0
    local target=kms-$SYSTEMD_NAME.target
    case $1 in
    up)
        die "this stack is installed as systemd units ($target in $SYSTEMD_UNIT_DIR): start it with 'systemctl start $target'. To manage it with scripts/kms again: systemctl disable --now $target, remove $SYSTEMD_UNIT_DIR/kms-$SYSTEMD_NAME{.target,-*.service} and $KMS_HOME/systemd.env"
        ;;
    down)
        if systemd_running && systemctl is-active --quiet "$target" 2>/dev/null; then
            die "systemd runs this stack ($target): stop it with 'systemctl stop $target'"
        fi
        ;;
    esac
}

# systemd_quote ARG: ARG as one word of an Exec*= line ('%' and '$' would be expanded by systemd).
systemd_quote() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//%/%%}
    s=${s//\$/\$\$}
    if [[ -z $s || $s =~ [[:space:]\;\'] ]]; then s="\"$s\""; fi
    printf '%s' "$s"
}

systemd_exec_line() {
    local arg line=""
    for arg in "$@"; do line+="${line:+ }$(systemd_quote "$arg")"; done
    printf '%s' "$line"
}

# Hardening shared by the three services. ProtectHome hides /home, /root and /run/user: only
# when KMS_HOME is not under one of them.
systemd_hardening() {
    local protect_home=yes
    case $KMS_HOME/ in /home/* | /root/* | /run/user/*) protect_home=no ;; esac
    cat <<EOF
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=$protect_home
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
# Core dumps would hold key material.
LimitCORE=0
EOF
}

systemd_header() {
    cat <<EOF
# Written by 'scripts/kms install-systemd' for the KMS stack in KMS_HOME=$KMS_HOME.
# Run it again after changing the stack's settings (ports, workers, certificate, ...).
# KMS_HOME=$KMS_HOME
EOF
}

systemd_target_unit() {
    local p=kms-$SYSTEMD_NAME
    systemd_header
    cat <<EOF
[Unit]
Description=KMS stack $SYSTEMD_NAME ($KMS_HOME, https port $KMS_HTTPS_PORT)
Requires=$p-postgres.service $p-responder.service $p-nginx.service
After=$p-postgres.service $p-responder.service $p-nginx.service

[Install]
WantedBy=multi-user.target
EOF
}

systemd_postgres_unit() {
    local p=kms-$SYSTEMD_NAME
    systemd_header
    cat <<EOF
[Unit]
Description=KMS stack $SYSTEMD_NAME: PostgreSQL 15 ($PG_DATA)
After=network.target
PartOf=$p.target

[Service]
# The unit PostgreSQL's documentation gives (server-start.html): the server tells systemd when it
# is ready; SIGINT is its fast shutdown; KillMode=mixed lets the postmaster stop its children.
Type=notify
User=$PG_USER
Group=$(id -gn "$PG_USER")
ExecStart=$(systemd_exec_line "$PG_BIN/postgres" -D "$PG_DATA")
ExecReload=/bin/kill -HUP \$MAINPID
KillMode=mixed
KillSignal=SIGINT
# Crash recovery of a large WAL can take long: never kill a recovering server.
TimeoutSec=infinity
Restart=on-failure
RestartSec=2
StandardOutput=append:$LOG_DIR/postgres.log
StandardError=inherit
OOMScoreAdjust=-900
ReadWritePaths=$PG_DATA $PG_SOCKET_DIR
$(systemd_hardening)

[Install]
WantedBy=$p.target
EOF
}

systemd_responder_unit() {
    local p=kms-$SYSTEMD_NAME
    # The installed binary, whatever KMS_RESPONDER_BIN says (it names a development build).
    KMS_RESPONDER_BIN="" responder_command
    systemd_header
    cat <<EOF
[Unit]
Description=KMS stack $SYSTEMD_NAME: FastCGI responder
Requires=$p-postgres.service
After=$p-postgres.service
PartOf=$p.target

[Service]
Type=simple
User=$SVC_USER
Group=$(id -gn "$SVC_USER")
# Its socket belongs to group $SOCKET_GROUP (nginx's workers), which it may only give as a member.
SupplementaryGroups=$SOCKET_GROUP
UMask=0027
Environment=LANG=C.UTF-8
# A socket left by a killed responder would make bind() fail ('+': as root, like the directory).
ExecStartPre=+/bin/rm -f $FCGI_SOCKET $FCGI_FRONT_SOCKET
ExecStart=$(systemd_exec_line "${RESPONDER_CMD[@]}")
# Restarted whatever the reason, a second later: this replaces scripts/kms's supervisor.
Restart=always
RestartSec=1
# TERM: it finishes its in-flight requests, for at most the grace the supervisor gives it.
KillSignal=SIGTERM
TimeoutStopSec=$((RESPONDER_STOP_GRACE + 5))
StandardOutput=append:$LOG_DIR/responder.log
StandardError=inherit
# It needs no privilege at all, and only Unix sockets (PostgreSQL's, its FastCGI socket).
CapabilityBoundingSet=
AmbientCapabilities=
RestrictAddressFamilies=AF_UNIX
ReadWritePaths=$FCGI_DIR $LOG_DIR
$(systemd_hardening)

[Install]
WantedBy=$p.target
EOF
}

systemd_nginx_unit() {
    local p=kms-$SYSTEMD_NAME nginx
    nginx=$(command -v nginx) || nginx=/usr/sbin/nginx
    local args=(-e "$LOG_DIR/nginx-error.log" -p "$NGINX_DIR/" -c "$NGINX_CONF")
    systemd_header
    cat <<EOF
[Unit]
Description=KMS stack $SYSTEMD_NAME: nginx (http port $KMS_HTTP_PORT, https port $KMS_HTTPS_PORT)
Wants=network-online.target
After=network-online.target $p-responder.service
PartOf=$p.target

[Service]
Type=forking
PIDFile=$RUN_DIR/nginx.pid
ExecStartPre=$(systemd_exec_line "$nginx" "${args[@]}" -t -q)
ExecStart=$(systemd_exec_line "$nginx" "${args[@]}")
# Checks the configuration first, then HUP: new workers, old ones finish their requests.
ExecReload=$(systemd_exec_line "$nginx" "${args[@]}" -t -q)
ExecReload=/bin/kill -HUP \$MAINPID
# QUIT: finish open requests, then exit. A master killed outright takes its workers with it
# (they are in the unit's cgroup), so no orphan keeps the ports.
KillSignal=SIGQUIT
KillMode=mixed
TimeoutStopSec=15
Restart=on-failure
RestartSec=1
ReadWritePaths=$RUN_DIR $LOG_DIR $NGINX_DIR
$(systemd_hardening)

[Install]
WantedBy=$p.target
EOF
}

cmd_install_systemd() {
    local dir=$SYSTEMD_DEFAULT_DIR name=$SYSTEMD_DEFAULT_NAME dir_given=0
    while (($#)); do
        case $1 in
        --dir) (($# >= 2)) || die "--dir needs a directory"; dir=$2; dir_given=1; shift ;;
        --name) (($# >= 2)) || die "--name needs a name"; name=$2; shift ;;
        -h | --help)
            echo "usage: scripts/kms install-systemd [--dir DIR] [--name NAME]  (default $SYSTEMD_DEFAULT_DIR, $SYSTEMD_DEFAULT_NAME)"
            return 0
            ;;
        *) die "usage: scripts/kms install-systemd [--dir DIR] [--name NAME]" ;;
        esac
        shift
    done
    [[ $name =~ ^[a-z0-9][a-z0-9_-]{0,31}$ ]] ||
        die "--name must be 1-32 characters of a-z, 0-9, '_' and '-', starting with a letter or digit: $name"
    load_config
    # systemd-analyze, to verify what we write (already there on a host that runs systemd).
    ensure_apt_packages systemd
    [[ -s $PG_DATA/PG_VERSION && -s $MASTER_KEY && -f $NGINX_CONF ]] ||
        die "$KMS_HOME is not set up: run 'scripts/kms up' once first (it creates the database, the master key, the TLS files and nginx.conf)"
    if ((dir_given)); then
        mkdir -p "$dir" || die "cannot create $dir"
    else
        [[ -d $dir ]] || die "$dir does not exist: is this a systemd host? (--dir DIR writes the units elsewhere)"
    fi
    dir=$(realpath -e "$dir")
    [[ $dir =~ ^[^[:space:]\"\'\\]+$ ]] || die "--dir must not contain spaces or quotes: $dir"

    local p=kms-$name unit file
    local -a units=("$p.target" "$p-postgres.service" "$p-responder.service" "$p-nginx.service")
    # Several stacks on one host: never take over the units of another KMS_HOME.
    for unit in "${units[@]}"; do
        file=$dir/$unit
        [[ -e $file ]] || continue
        grep -qxF "# KMS_HOME=$KMS_HOME" "$file" ||
            die "$file exists and belongs to another stack ($(sed -n 's/^# KMS_HOME=//p' "$file" | head -n 1)): choose another --name"
    done

    # The responder runs from $KMS_HOME/bin (the checkout may be unreadable for its user and
    # must not change under a running service).
    local source_bin=${KMS_RESPONDER_BIN:-$BUILD_DIR/kms-responder}
    if [[ -x $source_bin ]]; then
        install_file "$source_bin" "$BIN_DIR/kms-responder" 0755 || true
    fi
    [[ -x $BIN_DIR/kms-responder ]] ||
        die "$BIN_DIR/kms-responder is missing: run 'swift build -c release' (or 'scripts/kms up') first"
    [[ -e $LOG_DIR/responder.log ]] || install -m 0640 /dev/null "$LOG_DIR/responder.log"

    # The settings given now (as to `up`) are the stack's from here on: nginx.conf follows them.
    save_config
    nginx_render || true
    SYSTEMD_NAME=$name
    systemd_target_unit | write_if_changed "$dir/${units[0]}" root:root 0644 || true
    systemd_postgres_unit | write_if_changed "$dir/${units[1]}" root:root 0644 || true
    systemd_responder_unit | write_if_changed "$dir/${units[2]}" root:root 0644 || true
    systemd_nginx_unit | write_if_changed "$dir/${units[3]}" root:root 0644 || true
    printf 'UNIT_DIR=%s\nUNIT_NAME=%s\n' "$dir" "$name" | write_if_changed "$KMS_HOME/systemd.env" root:root 0644 || true

    for unit in "${units[@]}"; do say "wrote $dir/$unit"; done
    if command -v systemd-analyze >/dev/null 2>&1; then
        local files=()
        for unit in "${units[@]}"; do files+=("$dir/$unit"); done
        SYSTEMD_UNIT_PATH="$dir:" systemd-analyze verify "${files[@]}" ||
            warn "systemd-analyze verify reported problems with the units above"
    fi
    cat <<EOF

Next steps (as root):
  1. scripts/kms down          stop what scripts/kms started, so that the two do not fight;
                               from now on 'scripts/kms up' refuses for this KMS_HOME
  2. systemctl daemon-reload && systemctl enable --now $p.target
  3. systemctl status '$p*'    ('systemctl reload $p-nginx' after a configuration change)
To change settings later: 'KMS_...=... scripts/kms install-systemd --name $name' again, then
'systemctl daemon-reload && systemctl restart $p.target'.
EOF
}

# systemd_main_pid SERVICE: the main pid systemd reports for kms-NAME-SERVICE.service.
systemd_main_pid() {
    local pid
    systemd_running || return 1
    pid=$(systemctl show -p MainPID --value "kms-$SYSTEMD_NAME-$1.service" 2>/dev/null) || return 1
    [[ $pid =~ ^[1-9][0-9]*$ ]] && printf '%s\n' "$pid"
}
