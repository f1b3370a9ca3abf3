# `scripts/kms cluster …` (SPEC §8): the service as a cluster on one machine, every host in its
# own network namespace on a private bridge. Sourced by scripts/kms; see docs/DEPLOYMENT.md.
#
#   root namespace   HAProxy (role lb) on 127.0.0.1:$KMS_CLUSTER_HTTP_PORT / _HTTPS_PORT, and the
#                    bridge's own address SUBNET.1, through which it reaches the hosts
#   etcd1 … etcd3    SUBNET.11…  etcd, three members (the DCS Patroni keeps its leader lock in)
#   pg1 … pgN        SUBNET.21…  Patroni + PostgreSQL 15 (one primary, one synchronous standby,
#                                the rest asynchronous standbys)
#   resp1 … respN    SUBNET.31…  nginx + supervised responder
#
# All state lives in $KMS_CLUSTER_HOME (default $KMS_HOME/cluster), apart from a single-host stack.
#
#   $KMS_CLUSTER_HOME/
#     cluster.env        settings given to `cluster up` (responders, standbys, ports, subnet)
#     secrets/           root 0700: database passwords, the owner's passfile
#     tls/               cluster CA (ca.pem = ca_file), one certificate per host
#     master.key         kms 0600 (in production: copied to every responder host)
#     bin/               supervisor and responder, as `up` installs them
#     run/               HAProxy's config, pid file, runtime socket and certificate bundle
#     hosts/NAME/        one directory per host: run/, log/, data/ (PostgreSQL hosts: pg/data/),
#                        its config

# python3-idna: Patroni's HTTPS client to etcd needs it (only a Suggests of urllib3).
CLUSTER_PACKAGES=(patroni python3-etcd python3-idna etcd-server haproxy iproute2)
CLUSTER_CONFIG_KEYS=(KMS_CLUSTER_HTTP_PORT KMS_CLUSTER_HTTPS_PORT KMS_CLUSTER_NAME KMS_CLUSTER_SUBNET CLUSTER_RESPONDERS CLUSTER_STANDBYS)
# The responders' cluster-wide limits (and their cache staleness window): given to `cluster up`, remembered in cluster.env, so a host
# started later (`cluster start`, `restart`) gets the same ones as its peers.
CLUSTER_LIMIT_KEYS=(KMS_RATE_LIMIT KMS_CPU_BUDGET KMS_DATA_KEY_LIMIT KMS_CACHE_STALE_SECONDS)
# Patroni's timing (SPEC §8 target: errors for ≤ 30 s after the primary dies). Patroni requires
# loop_wait + 2 × retry_timeout ≤ ttl and ttl ≥ 20. A failover starts when the leader lock
# expires: at most ttl after the primary last renewed it (every loop_wait).
PATRONI_TTL=20
PATRONI_LOOP_WAIT=2
PATRONI_RETRY_TIMEOUT=9
HOST_HTTP_PORT=8080
HOST_HTTPS_PORT=8443

cluster_usage() {
    cat <<'EOF'
Usage: scripts/kms cluster COMMAND [ARGS]

  up [--responders N] [--standbys M]
                   Build the cluster on this machine (defaults: 2 responder hosts, 1 standby;
                   3 etcd members; of M standbys exactly one is synchronous, the others
                   asynchronous): network namespaces on a private bridge, etcd, Patroni +
                   PostgreSQL, nginx + responder per host, HAProxy on 127.0.0.1. Idempotent;
                   brings every host back (started, reconnected) as it was configured.
  down             Stop every process and remove every namespace, veth and the bridge.
                   Data stays in $KMS_CLUSTER_HOME.
  status [--json]  Endpoints and nodes: name, role now (lb, responder, postgres-primary,
                   postgres-standby, etcd; Patroni says who leads), address, pids, state
                   (running, stopped, partitioned, absent). Exit status 0 when every host
                   runs, 3 otherwise.
  ctl ARGS...      kmsctl against the cluster's primary.
  kill NAME        Power loss: SIGKILL every process of host NAME.
  start NAME       Start host NAME's processes again.
  partition NAME   Cut host NAME off the bridge (its link goes down); heal NAME restores it.
  restart NAME     Restart responder host NAME with no failed request: drained in the load
                   balancer, restarted, given back once its health check passes.

Environment: KMS_CLUSTER_HOME (default $KMS_HOME/cluster), KMS_CLUSTER_HTTP_PORT (9080),
KMS_CLUSTER_HTTPS_PORT (9443), KMS_CLUSTER_NAME (prefix of namespaces and links, default kc),
KMS_CLUSTER_SUBNET (first three octets of the private /24, default 10.213.0); KMS_SKIP_BUILD,
KMS_RESPONDER_BIN, KMS_CTL_BIN as for `up`.
EOF
}

# cluster_config [RESPONDERS STANDBYS]: settings (environment > cluster.env > default) and paths.
cluster_config() {
    local key value limits_from_env=" "
    for key in "${CLUSTER_LIMIT_KEYS[@]}"; do [[ -v $key ]] && limits_from_env+="$key "; done
    load_config
    is_root || die "the cluster needs root (network namespaces, a bridge)"
    CLUSTER_HOME=$(realpath -m "${KMS_CLUSTER_HOME:-$KMS_HOME/cluster}")
    [[ ! $CLUSTER_HOME =~ [[:space:]\"\'\\\;\$\`] ]] || die "KMS_CLUSTER_HOME must not contain spaces or quotes: $CLUSTER_HOME"
    CLUSTER_ENV=$CLUSTER_HOME/cluster.env
    if [[ -r $CLUSTER_ENV ]]; then
        while IFS='=' read -r key value; do
            if [[ " ${CLUSTER_LIMIT_KEYS[*]} " == *" $key "* ]]; then
                [[ $limits_from_env == *" $key "* ]] || printf -v "$key" '%s' "$value"
                continue
            fi
            [[ " ${CLUSTER_CONFIG_KEYS[*]} " == *" $key "* ]] || continue
            [[ -n ${!key:-} ]] || printf -v "$key" '%s' "$value"
        done <"$CLUSTER_ENV"
    fi
    KMS_CLUSTER_HTTP_PORT=${KMS_CLUSTER_HTTP_PORT:-9080}
    KMS_CLUSTER_HTTPS_PORT=${KMS_CLUSTER_HTTPS_PORT:-9443}
    KMS_CLUSTER_NAME=${KMS_CLUSTER_NAME:-kc}
    KMS_CLUSTER_SUBNET=${KMS_CLUSTER_SUBNET:-10.213.0}
    CLUSTER_RESPONDERS=${CLUSTER_RESPONDERS:-2}
    CLUSTER_STANDBYS=${CLUSTER_STANDBYS:-1}
    local port
    for port in "$KMS_CLUSTER_HTTP_PORT" "$KMS_CLUSTER_HTTPS_PORT"; do
        if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then die "not a TCP port: $port"; fi
    done
    [[ $KMS_CLUSTER_HTTP_PORT != "$KMS_CLUSTER_HTTPS_PORT" ]] || die "KMS_CLUSTER_HTTP_PORT and KMS_CLUSTER_HTTPS_PORT must differ"
    # Link names are at most 15 characters: prefix + '-' + 'resp9' + the peer's 'p'.
    [[ $KMS_CLUSTER_NAME =~ ^[a-z][a-z0-9]{0,6}$ ]] || die "KMS_CLUSTER_NAME must be 1-7 lower-case letters or digits, starting with a letter: $KMS_CLUSTER_NAME"
    [[ $KMS_CLUSTER_SUBNET =~ ^(10|172|192)\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "KMS_CLUSTER_SUBNET must be the first three octets of a private /24, e.g. 10.213.0: $KMS_CLUSTER_SUBNET"
    [[ $CLUSTER_RESPONDERS =~ ^[1-9]$ ]] || die "--responders must be 1 to 9: $CLUSTER_RESPONDERS"
    [[ $CLUSTER_STANDBYS =~ ^[1-8]$ ]] || die "--standbys must be 1 to 8 (SPEC §8 asks for at least one synchronous standby): $CLUSTER_STANDBYS"

    BRIDGE=$KMS_CLUSTER_NAME-br
    LB_ADDRESS=$KMS_CLUSTER_SUBNET.1
    CLUSTER_SECRETS=$CLUSTER_HOME/secrets
    CLUSTER_TLS=$CLUSTER_HOME/tls
    CLUSTER_CA=$CLUSTER_TLS/ca.pem
    CLUSTER_RUN=$CLUSTER_HOME/run
    CLUSTER_BIN=$CLUSTER_HOME/bin
    CLUSTER_MASTER_KEY=$CLUSTER_HOME/master.key
    CLUSTER_DEMO_ACCOUNT=$CLUSTER_HOME/demo-account.json
    HAPROXY_CFG=$CLUSTER_RUN/haproxy.cfg
    OWNER_PASSFILE=$CLUSTER_SECRETS/pgpass-owner
    SUPER_PASSFILE=$CLUSTER_SECRETS/pgpass-super
    # Every libpq client of the cluster: any PostgreSQL host, whichever accepts writes. Short
    # timeouts and keepalives so that a host that vanished without a FIN (partition, power) is
    # given up within seconds instead of the kernel's minutes.
    local hosts="" ports="" i
    for ((i = 1; i <= CLUSTER_STANDBYS + 1; i++)); do
        hosts+=${hosts:+,}$(host_address "pg$i")
        ports+=${ports:+,}5432
    done
    CLUSTER_DB_OPTIONS="host=$hosts port=$ports dbname=kms target_session_attrs=read-write connect_timeout=2 keepalives=1 keepalives_idle=3 keepalives_interval=1 keepalives_count=3 tcp_user_timeout=6000 sslmode=verify-full sslrootcert=$CLUSTER_CA"
    CLUSTER_OWNER_DSN="$CLUSTER_DB_OPTIONS user=kms_owner passfile=$OWNER_PASSFILE"
    KMSCTL=${KMS_CTL_BIN:-$BUILD_DIR/kmsctl}
}

cluster_save_config() {
    local key
    for key in "${CLUSTER_CONFIG_KEYS[@]}" "${CLUSTER_LIMIT_KEYS[@]}"; do printf '%s=%s\n' "$key" "${!key}"; done |
        write_if_changed "$CLUSTER_ENV" root:root 0644 || true
}

# The hosts, in start order.
cluster_hosts() {
    local i
    for ((i = 1; i <= ETCD_MEMBERS; i++)); do echo "etcd$i"; done
    for ((i = 1; i <= CLUSTER_STANDBYS + 1; i++)); do echo "pg$i"; done
    for ((i = 1; i <= CLUSTER_RESPONDERS; i++)); do echo "resp$i"; done
}

host_known() { [[ $1 == lb ]] || cluster_hosts | grep -qx -- "$1"; }

host_address() {
    case $1 in
    lb) echo "$LB_ADDRESS" ;;
    etcd*) echo "$KMS_CLUSTER_SUBNET.$((10 + ${1#etcd}))" ;;
    pg*) echo "$KMS_CLUSTER_SUBNET.$((20 + ${1#pg}))" ;;
    resp*) echo "$KMS_CLUSTER_SUBNET.$((30 + ${1#resp}))" ;;
    esac
}

host_ns() { echo "$KMS_CLUSTER_NAME-$1"; }
host_link() { echo "$KMS_CLUSTER_NAME-$1"; }
host_dir() { echo "$CLUSTER_HOME/hosts/$1"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ---------------------------------------------------------------------------------------------
# Network: one bridge, one namespace + veth per host. Nothing routes beyond the /24 (the
# namespaces have no default route; the root namespace does not forward).

net_bridge_up() {
    ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge ||
        die "cannot create bridge $BRIDGE"
    ip addr replace "$LB_ADDRESS/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
}

net_host_up() {
    local host=$1 ns link address
    ns=$(host_ns "$host") link=$(host_link "$host") address=$(host_address "$host")
    [[ -e /run/netns/$ns ]] || ip netns add "$ns" || die "cannot create network namespace $ns"
    ip -n "$ns" link set lo up
    if ! ip link show "$link" >/dev/null 2>&1; then
        ip link add "$link" type veth peer name "${link}p" || die "cannot create veth $link"
        ip link set "${link}p" netns "$ns"
        ip -n "$ns" link set "${link}p" name eth0
    fi
    ip link set "$link" master "$BRIDGE"
    ip -n "$ns" addr replace "$address/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip link set "$link" up
}

net_down() {
    local host ns
    while read -r host; do
        ns=$(host_ns "$host")
        # Deleting the namespace deletes its end of the veth, and with it ours.
        if [[ -e /run/netns/$ns ]]; then ip netns del "$ns" || warn "cannot delete namespace $ns"; fi
        # (Gone with the namespace, unless it was moved out of it: removed either way.)
        ip link del "$(host_link "$host")" 2>/dev/null || true
    done < <(cluster_hosts)
    ip link del "$BRIDGE" 2>/dev/null || true
    return 0
}

# ---------------------------------------------------------------------------------------------
# Secrets and TLS

secret() {
    local file=$CLUSTER_SECRETS/$1
    if [[ ! -s $file ]]; then
        (umask 077 && openssl rand -hex 24 >"$file.tmp" && mv -f "$file.tmp" "$file")
    fi
    cat "$file"
}

# passfile FILE OWNER USER: a libpq password file for USER on every PostgreSQL host.
passfile() {
    local file=$1 owner=$2 user=$3 password
    password=$(secret "$user")
    printf '*:5432:*:%s:%s\n' "$user" "$password" | write_if_changed "$file" "$owner" 0600 || true
}

cluster_secrets() {
    make_dir "$CLUSTER_SECRETS" root:root 0700
    local user
    for user in postgres replicator rewinder kms_owner kms_app patroni-api; do secret "$user" >/dev/null; done
    passfile "$OWNER_PASSFILE" root:root kms_owner
    passfile "$SUPER_PASSFILE" root:root postgres
}

# cluster_tls_issue NAME ADDRESS OWNER: a certificate for host NAME (localhost, 127.0.0.1 and
# its address: clients reach a responder host through the load balancer on 127.0.0.1).
cluster_tls_issue() {
    local name=$1 address=$2 owner=$3 cert key cnf csr
    cert=$CLUSTER_TLS/$name.pem key=$CLUSTER_TLS/$name.key
    if [[ -s $cert && -s $key ]] && openssl verify -CAfile "$CLUSTER_CA" "$cert" >/dev/null 2>&1 &&
        openssl x509 -checkend "$TLS_RENEW_SECONDS" -noout -in "$cert" >/dev/null 2>&1; then
        is_root && chown "$owner" "$key"
        return 0
    fi
    cnf=$(mktemp) csr=$(mktemp)
    # Client and server: etcd members and Patroni authenticate each other with these certificates.
    tls_openssl_config | sed -e "s/^subjectAltName = .*/subjectAltName = DNS:localhost, DNS:$name, IP:127.0.0.1, IP:$address/" \
        -e "s/^extendedKeyUsage = .*/extendedKeyUsage = serverAuth, clientAuth/" >"$cnf"
    (umask 077 &&
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$key.tmp" -out "$csr" -config "$cnf" -subj "/CN=$name" 2>/dev/null &&
        openssl x509 -req -in "$csr" -CA "$CLUSTER_CA" -CAkey "$CLUSTER_TLS/ca.key" \
            -set_serial "0x$(openssl rand -hex 16)" -days "$TLS_LEAF_DAYS" -sha256 \
            -extfile "$cnf" -extensions v3_leaf -out "$cert.tmp" 2>/dev/null) ||
        { rm -f "$cnf" "$csr"; die "could not issue the certificate for $name"; }
    rm -f "$cnf" "$csr"
    chmod 0644 "$cert.tmp"
    chown "$owner" "$key.tmp"
    mv -f "$key.tmp" "$key"
    mv -f "$cert.tmp" "$cert"
}

cluster_tls() {
    make_dir "$CLUSTER_TLS" root:root 0755
    if [[ ! -s $CLUSTER_CA || ! -s $CLUSTER_TLS/ca.key ]]; then
        say "TLS: creating the cluster CA at $CLUSTER_CA"
        tls_make_ca "$CLUSTER_CA" "$CLUSTER_TLS/ca.key"
    fi
    cluster_tls_issue lb 127.0.0.1 root:root
    # `cluster up`'s own client certificate for etcd (health checks).
    cluster_tls_issue admin 127.0.0.1 root:root
    local host
    while read -r host; do
        case $host in
        etcd*) cluster_tls_issue "$host" "$(host_address "$host")" "etcd:etcd" ;;
        pg*) cluster_tls_issue "$host" "$(host_address "$host")" "postgres:postgres" ;;
        resp*) cluster_tls_issue "$host" "$(host_address "$host")" "root:root" ;;
        esac
    done < <(cluster_hosts)
}

# ---------------------------------------------------------------------------------------------
# Daemons. Each is started inside its host's namespace with setsid (so it outlives this shell)
# and setpriv (which execs, so $! is the daemon's own pid); 9>&- drops our lock.

# spawn NS USER LOG PIDFILE CMD...
spawn() {
    local ns=$1 user=$2 log=$3 pidfile=$4
    shift 4
    [[ -e $log ]] || install -m 0640 -o "$user" /dev/null "$log"
    ip netns exec "$ns" setsid setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups --reset-env -- \
        env PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME=/nonexistent "$@" \
        </dev/null >>"$log" 2>&1 9>&- &
    echo $! >"$pidfile"
}

etcd_pid() {
    local dir
    dir=$(host_dir "$1")
    pid_from_file "$dir/run/etcd.pid" etcd "$(exe_path etcd)" "--data-dir $dir/data"
}

# Three etcd members (etcd1-3), each in its own namespace: a quorum of two survives the loss or
# the partition of any one, and partitioning a PostgreSQL host never takes an etcd member with it
# (docs/DEPLOYMENT.md, "Why etcd has hosts of its own").
ETCD_MEMBERS=3

etcd_initial_cluster() {
    local i out=""
    for ((i = 1; i <= ETCD_MEMBERS; i++)); do out+="${out:+,}etcd$i=https://$(host_address "etcd$i"):2380"; done
    echo "$out"
}

# etcd_start HOST: starts the member (returns at once; etcd_wait_healthy waits for it: a lone
# first member has no quorum until a second one runs).
etcd_start() {
    local host=$1 dir address pid
    dir=$(host_dir "$host") address=$(host_address "$host")
    make_dir "$dir" root:root 0755
    make_dir "$dir/run" root:root 0755
    make_dir "$dir/log" root:root 0755
    make_dir "$dir/data" etcd:etcd 0700
    if pid=$(etcd_pid "$host"); then
        say "$host: etcd already running (pid $pid)"
        return 0
    fi
    say "$host: starting etcd on $address"
    # TLS with client certificates from the cluster CA for clients and peers: whoever holds no
    # certificate (any other process on this machine can reach the bridge) can neither read nor
    # move Patroni's leader lock. --enable-v2: Patroni's etcd (v2) client (patroni_write_config).
    # Heartbeat 200 ms, election timeout 2 s (defaults 100 ms / 1 s): on a busy shared machine
    # the defaults made members call elections for nothing; a dead etcd leader is replaced within
    # ~2 s, far inside Patroni's retry_timeout. (--initial-cluster is read only on the first start.)
    local cert=$CLUSTER_TLS/$host.pem key=$CLUSTER_TLS/$host.key
    spawn "$(host_ns "$host")" etcd "$dir/log/etcd.log" "$dir/run/etcd.pid" \
        etcd --name "$host" --data-dir "$dir/data" \
        --listen-client-urls "https://$address:2379" --advertise-client-urls "https://$address:2379" \
        --listen-peer-urls "https://$address:2380" --initial-advertise-peer-urls "https://$address:2380" \
        --initial-cluster "$(etcd_initial_cluster)" --initial-cluster-state new \
        --heartbeat-interval 200 --election-timeout 2000 \
        --cert-file "$cert" --key-file "$key" --client-cert-auth --trusted-ca-file "$CLUSTER_CA" \
        --peer-cert-file "$cert" --peer-key-file "$key" --peer-client-cert-auth --peer-trusted-ca-file "$CLUSTER_CA" \
        --initial-cluster-token "kms-$KMS_CLUSTER_NAME" --enable-v2=true
}

# etcd_wait_healthy HOST: the member answers /health with true (it is part of a quorum).
etcd_wait_healthy() {
    local host=$1 address deadline=$((SECONDS + 30))
    address=$(host_address "$host")
    until curl -fs --max-time 1 --cacert "$CLUSTER_CA" --cert "$CLUSTER_TLS/admin.pem" --key "$CLUSTER_TLS/admin.key" \
        "https://$address:2379/health" | grep -q '"health":"true"'; do
        ((SECONDS < deadline)) || { tail -n 20 "$(host_dir "$host")/log/etcd.log" >&2; die "$host: etcd did not become healthy"; }
        sleep 0.3
    done
}

patroni_pid() {
    local dir
    dir=$(host_dir "$1")
    pid_from_file "$dir/run/patroni.pid" postgres "$(exe_path /usr/bin/python3)" "$dir/patroni.yml"
}

# pg_data_dir HOST: a PostgreSQL host's data directory, in a directory of postgres's own (pg/):
# Patroni removes or renames it when pg_rewind fails (remove_data_directory_on_rewind_failure)
# and clones the host again, which it cannot do in a parent of root's (it then waited forever to
# clone into the directory it could not clear). A host laid out before (data/ beside run/) and
# still running keeps its directory until it stops; patroni_start moves it.
pg_data_dir() {
    local dir
    dir=$(host_dir "$1")
    if [[ -e $dir/data/PG_VERSION && ! -e $dir/pg/data ]]; then echo "$dir/data"; else echo "$dir/pg/data"; fi
}

host_postgres_pid() {
    local data
    data=$(pg_data_dir "$1")
    pid_from_file "$data/postmaster.pid" postgres "$(exe_path "$PG_BIN/postgres")" "$data"
}

patroni_write_config() {
    local host=$1 dir address etcd_hosts=""
    dir=$(host_dir "$host") address=$(host_address "$host")
    local i
    for ((i = 1; i <= ETCD_MEMBERS; i++)); do etcd_hosts+=${etcd_hosts:+, }$(host_address "etcd$i"):2379; done
    write_if_changed "$dir/patroni.yml" postgres:postgres 0600 <<EOF || true
# Written by scripts/kms cluster up: change the script, not this file.
scope: kms
namespace: /kms-$KMS_CLUSTER_NAME/
name: $host
log:
  level: INFO
restapi:
  listen: $address:8008
  connect_address: $address:8008
  # Reading is open (status asks who leads); switchover, restart, reinitialise need the password.
  authentication:
    username: patroni
    password: '$(secret patroni-api)'
# etcd's v2 API, not etcd3: Debian's Patroni 3.0.2 renews the leader key over etcd3 with an
# unconditional put, so an old primary coming back from a partition with a stale view overwrote
# the new primary's lock (seen here: two primaries on one timeline; fixed upstream in 3.0.3 with
# a compare-and-swap). Its v2 client renews with prevValue=<own name>, which cannot.
etcd:
  hosts: [$etcd_hosts]
  protocol: https
  cacert: $CLUSTER_CA
  cert: $CLUSTER_TLS/$host.pem
  key: $CLUSTER_TLS/$host.key
bootstrap:
  dcs:
    ttl: $PATRONI_TTL
    loop_wait: $PATRONI_LOOP_WAIT
    retry_timeout: $PATRONI_RETRY_TIMEOUT
    maximum_lag_on_failover: 1048576
    # Only the synchronous standby may be promoted, so nothing acknowledged is lost. Not strict:
    # with no standby left the primary keeps taking writes alone (docs/DEPLOYMENT.md).
    synchronous_mode: true
    synchronous_mode_strict: false
    # Exactly one synchronous standby; the others stream asynchronously, and Patroni makes one
    # of them synchronous when the synchronous one goes (so one lost standby costs no
    # durability). More would make every commit wait for the slowest of them.
    synchronous_node_count: 1
    check_timeline: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      remove_data_directory_on_rewind_failure: true
      parameters:
        wal_level: replica
        hot_standby: 'on'
        wal_log_hints: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
        max_connections: 100
        synchronous_commit: 'on'
        fsync: 'on'
        full_page_writes: 'on'
        password_encryption: scram-sha-256
  initdb:
  - encoding: UTF8
  - locale: C
  - data-checksums
postgresql:
  listen: $address:5432
  connect_address: $address:5432
  data_dir: $(pg_data_dir "$host")
  bin_dir: $PG_BIN
  pgpass: $dir/run/pgpass
  use_unix_socket: true
  authentication:
    superuser:
      username: postgres
      password: '$(secret postgres)'
    replication:
      username: replicator
      password: '$(secret replicator)'
      sslmode: verify-full
      sslrootcert: $CLUSTER_CA
    rewind:
      username: rewinder
      password: '$(secret rewinder)'
      sslmode: verify-full
      sslrootcert: $CLUSTER_CA
  parameters:
    unix_socket_directories: '$dir/run'
    ssl: 'on'
    ssl_cert_file: $CLUSTER_TLS/$host.pem
    ssl_key_file: $CLUSTER_TLS/$host.key
    ssl_min_protocol_version: TLSv1.2
    shared_buffers: 64MB
    # A primary cut off from its standbys must stop fast when Patroni demotes it: a fast
    # shutdown waits for each walsender to hand its standby the shutdown checkpoint, which with
    # the default (60 s) took until the network came back. Meanwhile Patroni 3.0.2's next loop
    # demoted it a second time, and the two demotions started two postmasters
    # (patroni/patroni#3649; docs/DEPLOYMENT.md). 5 s: a standby answers the walsender's ping
    # (sent at half the timeout) within milliseconds on this network; the receiver side alike,
    # so a standby notices a vanished primary as soon.
    wal_sender_timeout: 5s
    wal_receiver_timeout: 5s
    commit_delay: 100
    commit_siblings: 2
    timezone: UTC
    log_timezone: UTC
    log_line_prefix: '%m [%p] %q%u@%d '
    # Never statement text or parameters in the log: they may carry sealed values.
    log_statement: none
    log_min_duration_statement: -1
    log_min_error_statement: panic
    log_parameter_max_length: 0
    log_parameter_max_length_on_error: 0
  pg_hba:
  - local all postgres peer
  - hostssl replication replicator $KMS_CLUSTER_SUBNET.0/24 scram-sha-256
  - hostssl all postgres,rewinder $KMS_CLUSTER_SUBNET.0/24 scram-sha-256
  - hostssl kms kms_owner,kms_app $KMS_CLUSTER_SUBNET.0/24 scram-sha-256
EOF
}

patroni_start() {
    local host=$1 dir pid
    dir=$(host_dir "$host")
    make_dir "$dir" root:root 0755
    make_dir "$dir/run" postgres:postgres 0750
    make_dir "$dir/log" root:root 0755
    make_dir "$dir/pg" postgres:postgres 0700
    if pid=$(patroni_pid "$host"); then
        patroni_write_config "$host"
        say "$host: Patroni already running (pid $pid)"
        return 0
    fi
    # The layout before pg/ (see pg_data_dir): moved while nothing runs in it.
    if [[ -e $dir/data/PG_VERSION && ! -e $dir/pg/data ]] && ! host_postgres_pid "$host" >/dev/null; then
        mv "$dir/data" "$dir/pg/data"
    fi
    make_dir "$(pg_data_dir "$host")" postgres:postgres 0700
    patroni_write_config "$host"
    # A postmaster left behind by a killed Patroni is adopted by the new one.
    say "$host: starting Patroni (PostgreSQL on $(host_address "$host"):5432)"
    spawn "$(host_ns "$host")" postgres "$dir/log/patroni.log" "$dir/run/patroni.pid" \
        patroni "$dir/patroni.yml"
}

# patroni_members: "name role state" per member, from the first Patroni that answers.
patroni_members() {
    local host json
    while read -r host; do
        [[ $host == pg* ]] || continue
        json=$(curl -fs --max-time 1 "http://$(host_address "$host"):8008/cluster" 2>/dev/null) || continue
        python3 -c '
import json, sys
for m in json.load(sys.stdin).get("members", []):
    print(m.get("name", "?"), m.get("role", "?"), m.get("state", "?"))' <<<"$json" && return 0
    done < <(cluster_hosts)
    return 1
}

patroni_leader() { patroni_members | awk '$2 == "leader" || $2 == "master" || $2 == "primary" {print $1; exit}'; }

# Waits until a primary runs with a synchronous standby streaming from it.
patroni_wait_ready() {
    local deadline=$((SECONDS + 150)) members
    say "waiting for Patroni to elect a primary with a synchronous standby"
    while :; do
        members=$(patroni_members 2>/dev/null) || members=""
        if grep -Eq ' (leader|master|primary) running$' <<<"$members" &&
            grep -Eq ' sync_standby (running|streaming)$' <<<"$members"; then
            break
        fi
        if ((SECONDS >= deadline)); then
            printf '%s\n' "$members" >&2
            die "Patroni has no primary with a synchronous standby after 150 s (logs: $CLUSTER_HOME/hosts/pg*/log/patroni.log)"
        fi
        sleep 1
    done
    # The leader key is set before the primary accepts writes; wait for a read-write session.
    deadline=$((SECONDS + 60))
    until PGPASSFILE=$SUPER_PASSFILE "$PG_BIN/psql" -X -qAt "$CLUSTER_DB_OPTIONS dbname=postgres user=postgres" -c 'SELECT 1' >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "the primary does not accept read-write sessions"
        sleep 0.5
    done
}

# Roles, database, master key, migrations, demo account, operator: as `up` does, over TLS to the primary.
cluster_database() {
    local super="$CLUSTER_DB_OPTIONS dbname=postgres user=postgres passfile=$SUPER_PASSFILE"
    SUPER_DSN=$super postgres_ensure_roles
    SUPER_DSN=$super postgres_ensure_database kms
    # The passwords travel to the server inside the statement (over TLS); the server logs no
    # statement text (log_statement = none).
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -v owner="$(secret kms_owner)" -v app="$(secret kms_app)" "$super" <<'SQL' >/dev/null
ALTER ROLE kms_owner PASSWORD :'owner';
ALTER ROLE kms_app PASSWORD :'app';
SQL
    OWNER_DSN=$CLUSTER_OWNER_DSN MASTER_KEY=$CLUSTER_MASTER_KEY master_key_ensure
    say "applying migrations from SQL/"
    OWNER_DSN=$CLUSTER_OWNER_DSN MASTER_KEY=$CLUSTER_MASTER_KEY kmsctl_run migrate --dir "$REPO/SQL" ||
        die "kmsctl migrate failed"
    OWNER_DSN=$CLUSTER_OWNER_DSN MASTER_KEY=$CLUSTER_MASTER_KEY DEMO_ACCOUNT=$CLUSTER_DEMO_ACCOUNT demo_account_ensure
    OWNER_DSN=$CLUSTER_OWNER_DSN MASTER_KEY=$CLUSTER_MASTER_KEY operator_ensure
}

# ---------------------------------------------------------------------------------------------
# Responder hosts: nginx + the supervised responder, with the single-host stack's own functions
# pointed at the host's directories.

# host_stack_vars HOST: the variables responder.sh, nginx.sh, listen.sh, metrics.sh and
# supervision.sh read, for HOST (call in a subshell).
host_stack_vars() {
    local host=$1 dir
    dir=$(host_dir "$host")
    RUN_DIR=$dir/run
    FCGI_DIR=$RUN_DIR/fcgi
    FCGI_SOCKET=$FCGI_DIR/responder.sock
    FCGI_FRONT_SOCKET=$FCGI_DIR/front.sock
    LOG_DIR=$dir/log
    NGINX_DIR=$dir/nginx
    NGINX_CONF=$NGINX_DIR/nginx.conf
    BIN_DIR=$CLUSTER_BIN
    MASTER_KEY=$CLUSTER_MASTER_KEY
    KMS_HTTP_PORT=$HOST_HTTP_PORT
    KMS_HTTPS_PORT=$HOST_HTTPS_PORT
    TLS_CERT=$CLUSTER_TLS/$host.pem
    TLS_KEY=$CLUSTER_TLS/$host.key
    APP_DSN="$CLUSTER_DB_OPTIONS user=kms_app passfile=$RUN_DIR/pgpass"
    # detach (supervision.sh) starts the supervisor and the watchdog inside this namespace.
    HOST_NS=$(host_ns "$host")
    RESPONDER_HOST_NAME=$host
    HOST_ADDRESS=$(host_address "$host")
    # Both listeners on the host's bridge address only (issue 12's KMS_LISTEN/KMS_HTTP_LISTEN):
    # the load balancer reaches them there; nothing else on the host needs them.
    KMS_LISTEN=$HOST_ADDRESS
    KMS_HTTP_LISTEN=$HOST_ADDRESS
    listen_config
    # Prometheus metrics on the host's own loopback (inside its namespace), as on a single host:
    # `ip netns exec NS curl http://127.0.0.1:9464/metrics`; in production a scraper on the host.
    KMS_METRICS_PORT=$DEFAULT_METRICS_PORT
    METRICS_ENDPOINT=http://127.0.0.1:$KMS_METRICS_PORT/metrics
}

# A responder host runs what a single-host stack runs, inside its namespace: the supervised
# responder, nginx, and the watchdog (restarts nginx and the supervisor if they die; the
# supervisor restarts the watchdog). Everything they start again stays in the namespace.
responder_host_start() {
    local host=$1
    (
        host_stack_vars "$host"
        local dir pid
        dir=$(host_dir "$host")
        make_dir "$dir" root:root 0755
        make_dir "$RUN_DIR" root:root 0755
        make_dir "$FCGI_DIR" "$SVC_USER:$SOCKET_GROUP" 0750
        make_dir "$LOG_DIR" root:root 0755
        make_dir "$NGINX_DIR" root:root 0755
        make_dir "$NGINX_DIR/tmp" "$WEB_USER:$(id -gn "$WEB_USER")" 0700
        passfile "$RUN_DIR/pgpass" "$SVC_USER:$(id -gn "$SVC_USER")" kms_app
        check_socket_paths
        # The host's own lock, which the watchdog and the supervisor take before restarting
        # anything (their lock is RUN_DIR/../.lock): they never race this start.
        exec 8>>"$dir/.lock"
        flock -w 30 8 || die "$host: $dir/.lock is held"
        # A watchdog pid file of a killed watchdog would stop a new supervisor from starting one.
        watchdog_pid >/dev/null 2>&1 || rm -f "$RUN_DIR/watchdog.pid"

        # The responder opens (and on SIGUSR1 reopens) its log itself, as the service user.
        [[ -e $LOG_DIR/responder.log ]] || install -m 0640 /dev/null "$LOG_DIR/responder.log"
        chown "$SVC_USER" "$LOG_DIR/responder.log"
        if pid=$(supervisor_pid); then
            say "$host: responder already running (supervisor pid $pid)"
        else
            rm -f "$RUN_DIR/supervisor.pid" "$RUN_DIR/responder.pid"
            responder_command
            supervisor_command
            # The watchdog starts the supervisor again with this, should it die.
            write_argv "$RUN_DIR/supervisor.argv" "${SUPERVISOR_CMD[@]}"
            say "$host: starting the responder ($KMS_WORKERS workers)"
            detach KMS_SUPERVISOR_LOG="$LOG_DIR/responder.log" "${SUPERVISOR_CMD[@]}"
            responder_wait_socket "" $!
        fi

        nginx_render || true
        grep -q "listen $HOST_ADDRESS:$HOST_HTTP_PORT;" "$NGINX_CONF" || die "$host: nginx does not listen on $HOST_ADDRESS"
        # nginx_cmd's command line, in the host's namespace (where its address exists).
        local nginx=(ip netns exec "$HOST_NS" nginx -e "$LOG_DIR/nginx-error.log" -p "$NGINX_DIR/" -c "$NGINX_CONF")
        "${nginx[@]}" -t -q || die "$host: nginx rejected $NGINX_CONF"
        if pid=$(nginx_pid); then
            kill -HUP "$pid"
        else
            say "$host: starting nginx on $HOST_ADDRESS:$HOST_HTTP_PORT and :$HOST_HTTPS_PORT, metrics on its 127.0.0.1:$KMS_METRICS_PORT"
            "${nginx[@]}" 9>&- 8>&- || die "$host: nginx did not start (log: $LOG_DIR/nginx-error.log)"
        fi

        watchdog_start
    )
}

# The watchdog first, so that it does not restart what is being stopped.
responder_host_stop() {
    (
        host_stack_vars "$1"
        watchdog_stop >/dev/null
        nginx_stop >/dev/null
        responder_stop >/dev/null
    )
}

# ---------------------------------------------------------------------------------------------
# The load balancer: HAProxy in the root namespace, in HTTP mode: it terminates the clients' TLS
# (certificate from the cluster CA for 127.0.0.1/localhost), keeps their connections, and sends
# each request to a responder host (HTTPS verified against the cluster CA from the HTTPS
# frontend, plain HTTP from the HTTP one). So a host can leave the pool between two requests of
# one client connection: draining it for a restart costs no request. Active health checks every
# second.

# HAProxy drops to user haproxy altogether (one process, no root master).
haproxy_pid() { pid_from_file "$CLUSTER_RUN/haproxy.pid" haproxy "$(exe_path haproxy)" "-f $HAPROXY_CFG"; }

# haproxy_admin COMMAND: one command on HAProxy's runtime socket; prints the answer.
haproxy_admin() {
    python3 - "$CLUSTER_RUN/haproxy.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
while chunk := s.recv(65536):
    out += chunk
sys.stdout.write(out.decode())
PY
}

# haproxy_server_field HOST FIELD: FIELD of HOST's `show stat` line, one per backend.
haproxy_server_field() {
    haproxy_admin "show stat" | awk -F, -v host="$1" -v field="$2" '
        NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) if ($i == field) col = i; next }
        $2 == host { print $col }'
}

# Replay affinity (SPEC §6 across hosts; docs/DEPLOYMENT.md "Cluster-wide state"): every copy of
# a signature goes to the same responder host, whose replay memory sees them all. TC3: the hash of
# the Signature field alone (the parser tolerates whitespace and field order, so hashing the whole
# header would let a replay pick its host). v1: the Nonce, percent-decoded as the responder reads
# it (query of a GET, form body of a POST). Consistent hashing: a host leaving or joining moves
# only its own share of signatures (the window that remains); weight 100 gives each host 1600
# points on the ring (weight 1: 16, a 30/70 split was seen). Never `hash-balance-factor`: it
# moves requests off a busy host, and with them their signatures.
haproxy_affinity() {
    cat <<'EOF'
    http-request wait-for-body time 2s if METH_POST !{ req.hdr(Authorization) -m found }
    http-request set-var(txn.affinity) 'req.fhdr(Authorization),regsub("^.*Signature[[:space:]]*=[[:space:]]*([0-9a-f]+).*$","\1")' if { req.hdr(Authorization) -m found }
    http-request set-var(txn.affinity) url_param(Nonce),url_dec(1) if !{ req.hdr(Authorization) -m found } METH_GET
    http-request set-var(txn.affinity) req.body_param(Nonce),url_dec(1) if !{ req.hdr(Authorization) -m found } METH_POST
    balance hash var(txn.affinity)
    hash-type consistent
    # 1600 points per host on the ring instead of 16: an even split of the signatures.
    default-server weight 100
EOF
}

# Every backend haproxy_render writes, each with every responder host: the pool checked on
# /readyz and the fail-open one on /healthz, for HTTP and HTTPS.
HAPROXY_BACKENDS=(kms_http_hosts kms_https_hosts kms_http_live kms_https_live)

haproxy_render() {
    local i servers_http="" servers_https="" address affinity
    affinity=$(haproxy_affinity)
    for ((i = 1; i <= CLUSTER_RESPONDERS; i++)); do
        address=$(host_address "resp$i")
        servers_http+="    server resp$i $address:$HOST_HTTP_PORT check"$'\n'
        servers_https+="    server resp$i $address:$HOST_HTTPS_PORT ssl verify required ca-file $CLUSTER_CA verifyhost resp$i check port $HOST_HTTP_PORT no-check-ssl"$'\n'
    done
    write_if_changed "$HAPROXY_CFG" root:root 0644 <<EOF
# Written by scripts/kms cluster up: change the script, not this file.
global
    daemon
    pidfile $CLUSTER_RUN/haproxy.pid
    user haproxy
    group haproxy
    maxconn 4096
    stats socket $CLUSTER_RUN/haproxy.sock mode 600 level admin
    # SPEC §6, as nginx: TLS 1.3, and TLS 1.2 only with ECDHE and an AEAD.
    ssl-default-bind-options ssl-min-ver TLSv1.2
    ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305
    ssl-default-server-options ssl-min-ver TLSv1.2

defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 30s
    timeout check 1s
    # A connection refused or timed out is retried on another host (nothing was sent yet, so
    # this is safe for every request); a request once sent is never replayed.
    retries 2
    option redispatch 1
    # Down after 2 failed checks 1 s apart, up after 2 good ones.
    default-server inter 1s fall 2 rise 2

# Fail open: when no host is ready, the cause is shared (PostgreSQL failing over), not the
# hosts'; every live host (/healthz) then gets the requests, and answers with its own Tencent
# error (or serves what needs no write), instead of HAProxy's 503 page to everyone.
frontend kms_http
    bind 127.0.0.1:$KMS_CLUSTER_HTTP_PORT
    use_backend kms_http_live if { nbsrv(kms_http_hosts) eq 0 }
    default_backend kms_http_hosts

frontend kms_https
    bind 127.0.0.1:$KMS_CLUSTER_HTTPS_PORT ssl crt $CLUSTER_RUN/lb.pem alpn http/1.1
    use_backend kms_https_live if { nbsrv(kms_https_hosts) eq 0 }
    default_backend kms_https_hosts

backend kms_http_hosts
${affinity}
    # /readyz: 200 only while the host's responder can write to PostgreSQL and holds every master
    # key the database names (503 with the reason otherwise), so a host cut off from the primary
    # or without its key leaves the pool within ~2 s of its responder noticing.
    option httpchk GET /readyz
    http-check expect status 200
${servers_http}
backend kms_https_hosts
${affinity}
    # As above; checked on the host's plain HTTP port.
    option httpchk GET /readyz
    http-check expect status 200
${servers_https}
backend kms_http_live
${affinity}
    option httpchk GET /healthz
    http-check expect status 200
${servers_http}
backend kms_https_live
${affinity}
    option httpchk GET /healthz
    http-check expect status 200
${servers_https}
EOF
}

haproxy_start() {
    make_dir "$CLUSTER_RUN" root:root 0755
    local changed=1 pid
    # HAProxy wants certificate and key in one file (read as root, before it drops privileges).
    cat "$CLUSTER_TLS/lb.pem" "$CLUSTER_TLS/lb.key" | write_if_changed "$CLUSTER_RUN/lb.pem" root:root 0600 && changed=0
    haproxy_render && changed=0
    haproxy -c -q -f "$HAPROXY_CFG" || die "HAProxy rejected $HAPROXY_CFG"
    if pid=$(haproxy_pid); then
        ((changed)) && { say "lb: HAProxy already running (pid $pid)"; return 0; }
        say "lb: configuration changed: reloading HAProxy"
        haproxy -f "$HAPROXY_CFG" -sf "$pid" 9>&- || die "HAProxy did not reload"
        return 0
    fi
    local port
    for port in "$KMS_CLUSTER_HTTP_PORT" "$KMS_CLUSTER_HTTPS_PORT"; do
        port_in_use "$port" && die "127.0.0.1:$port is already in use (choose KMS_CLUSTER_HTTP_PORT / KMS_CLUSTER_HTTPS_PORT)"
    done
    say "lb: starting HAProxy on 127.0.0.1:$KMS_CLUSTER_HTTP_PORT (http) and :$KMS_CLUSTER_HTTPS_PORT (https)"
    haproxy -f "$HAPROXY_CFG" 9>&- || die "HAProxy did not start"
    local deadline=$((SECONDS + 10))
    until haproxy_pid >/dev/null; do
        ((SECONDS < deadline)) || die "HAProxy wrote no pid file"
        sleep 0.1
    done
}

haproxy_stop() {
    local pid
    pid=$(haproxy_pid) || return 0
    say "lb: stopping HAProxy (pid $pid)"
    kill -USR1 "$pid" 2>/dev/null # soft stop: finish open connections
    wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null
    rm -f "$CLUSTER_RUN/haproxy.pid"
}

# ---------------------------------------------------------------------------------------------
# Commands

host_start() {
    case $1 in
    lb) haproxy_start ;;
    etcd*) etcd_start "$1" && etcd_wait_healthy "$1" ;;
    pg*) patroni_start "$1" ;;
    resp*) responder_host_start "$1" ;;
    esac
}

# host_stop HOST: a clean stop (down); `kill` is the unclean one.
host_stop() {
    local host=$1 pid ns
    ns=$(host_ns "$host")
    case $host in
    lb) haproxy_stop ;;
    resp*) responder_host_stop "$host" ;;
    pg*)
        if pid=$(patroni_pid "$host"); then
            say "$host: stopping Patroni (pid $pid) and PostgreSQL"
            kill -TERM "$pid"
            wait_gone "$pid" 40 || warn "$host: Patroni did not stop within 40 s"
        fi
        ;;
    etcd*)
        if pid=$(etcd_pid "$host"); then
            say "$host: stopping etcd (pid $pid)"
            kill -TERM "$pid"
            wait_gone "$pid" 10 || true
        fi
        ;;
    esac
    [[ $host == lb || ! -e /run/netns/$ns ]] || host_kill_all "$host"
}

# Hosts of an earlier, larger `up --responders/--standbys` (namespaces with our prefix that the
# configuration no longer names): every process killed, the namespace deleted.
cluster_remove_strays() {
    local ns host
    while read -r ns _; do
        host=${ns#"$KMS_CLUSTER_NAME"-}
        [[ $ns == "$KMS_CLUSTER_NAME"-* ]] && ! host_known "$host" || continue
        warn "$host: not in this cluster's configuration any more; killing its processes, removing it"
        host_kill_all "$host"
        ip netns del "$ns" || warn "cannot delete namespace $ns"
        ip link del "$(host_link "$host")" 2>/dev/null || true
    done < <(ip netns list)
}

# Every process in HOST's namespace, SIGKILLed; waits until they are gone.
host_kill_all() {
    local ns pids pid
    ns=$(host_ns "$1")
    [[ -e /run/netns/$ns ]] || return 0
    pids=$(ip netns pids "$ns")
    [[ -n $pids ]] || return 0
    # shellcheck disable=SC2086 # one pid per word
    kill -KILL $pids 2>/dev/null || true
    for pid in $pids; do wait_gone "$pid" 10 || warn "$1: pid $pid survived SIGKILL"; done
}

cmd_cluster_up() {
    while (($#)); do
        case $1 in
        --responders) CLUSTER_RESPONDERS=${2:-}; shift 2 || die "--responders needs a number" ;;
        --standbys) CLUSTER_STANDBYS=${2:-}; shift 2 || die "--standbys needs a number" ;;
        *) die "usage: scripts/kms cluster up [--responders N] [--standbys M]" ;;
        esac
    done
    local started=$SECONDS
    cluster_config
    ensure_apt_packages "${STACK_PACKAGES[@]}" "${CLUSTER_PACKAGES[@]}"
    build_release
    [[ -x $KMSCTL ]] || die "$KMSCTL is missing: run 'swift build -c release'"
    ensure_service_users
    make_dir "$CLUSTER_HOME" root:root 0755
    (KMS_HOME=$CLUSTER_HOME check_traversable)
    exec 9>"$CLUSTER_HOME/.lock"
    flock -w 120 9 || die "another scripts/kms cluster command is working on $CLUSTER_HOME"
    cluster_save_config
    make_dir "$CLUSTER_HOME/hosts" root:root 0755
    make_dir "$CLUSTER_BIN" root:root 0755
    BIN_DIR=$CLUSTER_BIN responder_install || true
    cluster_secrets
    cluster_tls

    cluster_remove_strays
    net_bridge_up
    local host
    while read -r host; do net_host_up "$host"; done < <(cluster_hosts)
    while read -r host; do [[ $host == etcd* ]] && etcd_start "$host"; done < <(cluster_hosts)
    while read -r host; do [[ $host == etcd* ]] && etcd_wait_healthy "$host"; done < <(cluster_hosts)
    while read -r host; do [[ $host == pg* ]] && patroni_start "$host"; done < <(cluster_hosts)
    patroni_wait_ready
    cluster_database
    while read -r host; do [[ $host == resp* ]] && responder_host_start "$host"; done < <(cluster_hosts)
    haproxy_start
    CA_FILE=$CLUSTER_CA KMS_HTTP_PORT=$KMS_CLUSTER_HTTP_PORT KMS_HTTPS_PORT=$KMS_CLUSTER_HTTPS_PORT \
        LOG_DIR=$(host_dir resp1)/log wait_ready
    say "cluster up in $((SECONDS - started)) s"
    CA_FILE=$CLUSTER_CA KMS_HTTP_PORT=$KMS_CLUSTER_HTTP_PORT KMS_HTTPS_PORT=$KMS_CLUSTER_HTTPS_PORT \
        METRICS_ENDPOINT="per responder host, on its own loopback: ip netns exec $(host_ns resp1) curl http://127.0.0.1:$DEFAULT_METRICS_PORT/metrics" \
        KMS_HOME=$CLUSTER_HOME DEMO_ACCOUNT=$CLUSTER_DEMO_ACCOUNT print_endpoints
}

cmd_cluster_down() {
    (($# == 0)) || die "usage: scripts/kms cluster down"
    cluster_config
    [[ -d $CLUSTER_HOME ]] || { say "nothing to stop: $CLUSTER_HOME does not exist"; return 0; }
    exec 9>"$CLUSTER_HOME/.lock"
    flock -w 120 9 || die "another scripts/kms cluster command is working on $CLUSTER_HOME"
    haproxy_stop
    local host
    # Responders first (no client left), then the standbys and the primary, etcd last.
    while read -r host; do [[ $host == resp* ]] && host_stop "$host"; done < <(cluster_hosts)
    while read -r host; do [[ $host == pg* && $host != "$(patroni_leader 2>/dev/null)" ]] && host_stop "$host"; done < <(cluster_hosts)
    while read -r host; do [[ $host == pg* ]] && host_stop "$host"; done < <(cluster_hosts)
    while read -r host; do [[ $host == etcd* ]] && host_stop "$host"; done < <(cluster_hosts)
    cluster_remove_strays
    net_down
    say "cluster stopped; namespaces, links and bridge removed (data kept in $CLUSTER_HOME)"
}

# host_pids HOST: a JSON object of the host's main processes (null when not running).
host_pids() {
    local host=$1 a b c
    case $host in
    lb) a=$(haproxy_pid) || a=null; printf '{"haproxy": %s}' "$a" ;;
    etcd*) a=$(etcd_pid "$host") || a=null; printf '{"etcd": %s}' "$a" ;;
    pg*)
        a=$(patroni_pid "$host") || a=null
        b=$(host_postgres_pid "$host") || b=null
        printf '{"patroni": %s, "postgres": %s}' "$a" "$b"
        ;;
    resp*)
        (
            host_stack_vars "$host"
            a=$(nginx_pid 2>/dev/null) || a=null
            b=$(supervisor_pid 2>/dev/null) || b=null
            c=$(responder_pid 2>/dev/null) || c=null
            printf '{"nginx": %s, "supervisor": %s, "responder": %s}' "$a" "$b" "$c"
        )
        ;;
    esac
}

# host_state HOST: running (some of its processes), stopped (none), partitioned (its link is
# down), absent (no namespace: `cluster up` has not built it).
host_state() {
    local host=$1 ns link
    if [[ $host == lb ]]; then
        if haproxy_pid >/dev/null; then echo running; else echo stopped; fi
        return 0
    fi
    ns=$(host_ns "$host") link=$(host_link "$host")
    [[ -e /run/netns/$ns ]] || { echo absent; return 0; }
    if [[ $(ip -o link show "$link" 2>/dev/null) =~ \<([^>]*)\> && ,${BASH_REMATCH[1]}, != *,UP,* ]]; then
        echo partitioned
    elif [[ -z $(ip netns pids "$ns") ]]; then
        echo stopped
    else
        echo running
    fi
}

cmd_cluster_status() {
    local json=0
    case ${1:-} in
    --json) json=1 ;;
    "") ;;
    *) die "usage: scripts/kms cluster status [--json]" ;;
    esac
    cluster_config
    [[ -r $CLUSTER_ENV ]] || die "no cluster in $CLUSTER_HOME (scripts/kms cluster up)"
    local members leader host role sep="" nodes="" all_running=1 state
    members=$(patroni_members 2>/dev/null) || members=""
    leader=$(awk '$2 == "leader" || $2 == "master" || $2 == "primary" {print $1; exit}' <<<"$members")
    while read -r host; do
        case $host in
        lb) role=lb ;;
        etcd*) role=etcd ;;
        resp*) role=responder ;;
        pg*) if [[ $host == "$leader" ]]; then role=postgres-primary; else role=postgres-standby; fi ;;
        esac
        state=$(host_state "$host")
        [[ $state == running ]] || all_running=0
        if ((json)); then
            nodes+=$sep$(printf '    {"name": %s, "role": %s, "address": %s, "state": %s, "pids": %s}' \
                "$(json_string "$host")" "$(json_string "$role")" "$(json_string "$(host_address "$host")")" \
                "$(json_string "$state")" "$(host_pids "$host")")
            sep=$',\n'
        else
            nodes+=$(printf '  %-6s %-17s %-14s %-12s %s' "$host" "$role" "$(host_address "$host")" "$state" "$(host_pids "$host")")$'\n'
        fi
    done < <(echo lb; cluster_hosts)
    if ((json)); then
        printf '{\n'
        printf '  "endpoint": %s,\n' "$(json_string "http://127.0.0.1:$KMS_CLUSTER_HTTP_PORT")"
        printf '  "https_endpoint": %s,\n' "$(json_string "https://127.0.0.1:$KMS_CLUSTER_HTTPS_PORT")"
        printf '  "ca_file": %s,\n' "$(json_string "$CLUSTER_CA")"
        printf '  "nodes": [\n%s\n  ]\n' "$nodes"
        printf '}\n'
    else
        echo "KMS cluster in $CLUSTER_HOME"
        printf '  %-15s %s\n' endpoint "http://127.0.0.1:$KMS_CLUSTER_HTTP_PORT" \
            https_endpoint "https://127.0.0.1:$KMS_CLUSTER_HTTPS_PORT" ca_file "$CLUSTER_CA"
        printf '%s' "$nodes"
    fi
    ((all_running)) || return 3
}

cluster_host_arg() {
    [[ $# == 1 ]] || die "usage: scripts/kms cluster $CLUSTER_COMMAND NAME"
    cluster_config
    [[ -r $CLUSTER_ENV ]] || die "no cluster in $CLUSTER_HOME (scripts/kms cluster up)"
    host_known "$1" || die "no host named '$1' in this cluster (scripts/kms cluster status)"
}

cmd_cluster_kill() {
    cluster_host_arg "$@"
    if [[ $1 == lb ]]; then
        local pid
        pid=$(haproxy_pid) && kill -KILL "$pid" && wait_gone "$pid" 5
    else
        host_kill_all "$1"
    fi
    say "$1: killed (every process, SIGKILL)"
}

cmd_cluster_start() {
    cluster_host_arg "$@"
    [[ $1 == lb || -e /run/netns/$(host_ns "$1") ]] || die "$1 has no namespace: run 'scripts/kms cluster up'"
    host_start "$1"
}

cmd_cluster_partition() {
    cluster_host_arg "$@"
    [[ $1 != lb ]] || die "the load balancer lives in the root namespace and cannot be partitioned; partition a host"
    ip link set "$(host_link "$1")" down || die "cannot take $(host_link "$1") down"
    say "$1: partitioned (its link to the bridge is down)"
}

cmd_cluster_heal() {
    cluster_host_arg "$@"
    [[ $1 != lb ]] || die "the load balancer is never partitioned"
    ip link set "$(host_link "$1")" up || die "cannot bring $(host_link "$1") up"
    say "$1: healed (its link to the bridge is up)"
}

# cluster restart NAME: a responder host restarted without a failed request. The load balancer
# drains it (no new request goes to it; those in flight finish), then it is stopped and started,
# and given back once its health check passes.
cmd_cluster_restart() {
    cluster_host_arg "$@"
    local host=$1 backend deadline
    [[ $host == resp* ]] || die "restart takes a responder host (resp1, …); a PostgreSQL host changes role with patronictl switchover"
    haproxy_pid >/dev/null || die "the load balancer is not running: scripts/kms cluster start lb"
    for backend in "${HAPROXY_BACKENDS[@]}"; do
        haproxy_admin "set server $backend/$host state drain" >/dev/null
    done
    say "$host: draining in the load balancer"
    deadline=$((SECONDS + 30))
    until [[ $(haproxy_server_field "$host" scur | awk '{n += $1} END {print n + 0}') == 0 ]]; do
        ((SECONDS < deadline)) || { warn "$host: requests still in flight after 30 s; restarting anyway"; break; }
        sleep 0.2
    done
    responder_host_stop "$host"
    responder_host_start "$host"
    deadline=$((SECONDS + 30))
    # DRAIN: administratively drained and its check passes (DOWN while it fails).
    until [[ $(haproxy_server_field "$host" status | sort -u) == DRAIN ]]; do
        ((SECONDS < deadline)) || die "$host: its health check does not pass; left drained (scripts/kms cluster status)"
        sleep 0.2
    done
    for backend in "${HAPROXY_BACKENDS[@]}"; do
        haproxy_admin "set server $backend/$host state ready" >/dev/null
    done
    say "$host: restarted and back in the load balancer"
}

cmd_cluster_ctl() {
    cluster_config
    [[ -x $KMSCTL ]] || die "$KMSCTL is missing: run 'swift build -c release --product kmsctl' (or set KMS_CTL_BIN)"
    KMS_DATABASE_URL=$CLUSTER_OWNER_DSN KMS_MASTER_KEY=$CLUSTER_MASTER_KEY KMS_REGIONS=$KMS_REGIONS exec "$KMSCTL" "$@"
}

cmd_cluster() {
    CLUSTER_COMMAND=${1:-help}
    (($#)) && shift
    case $CLUSTER_COMMAND in
    up) cmd_cluster_up "$@" ;;
    down) cmd_cluster_down "$@" ;;
    status) cmd_cluster_status "$@" ;;
    ctl) cmd_cluster_ctl "$@" ;;
    kill) cmd_cluster_kill "$@" ;;
    start) cmd_cluster_start "$@" ;;
    partition) cmd_cluster_partition "$@" ;;
    heal) cmd_cluster_heal "$@" ;;
    restart) cmd_cluster_restart "$@" ;;
    help | -h | --help) cluster_usage ;;
    *)
        cluster_usage >&2
        die "unknown cluster command: $CLUSTER_COMMAND"
        ;;
    esac
}
