# Where nginx listens: KMS_LISTEN (HTTPS) and KMS_HTTP_LISTEN (plain HTTP), their validation,
# the port check before `up` starts anything, and the address `up`, `status` and the tests use
# to reach the stack. Sourced by scripts/kms after common.sh.
#
# Syntax: one or more IP addresses separated by commas (spaces allowed around them), IPv6 in
# brackets: `127.0.0.1`, `10.0.0.5,127.0.0.1`, `0.0.0.0`, `[::]`, `[2001:db8::5],127.0.0.1`.
# Addresses only, no host names (nginx would resolve a name once, at start) and no ports (the
# ports are KMS_HTTPS_PORT and KMS_HTTP_PORT).

CONFIG_KEYS+=(KMS_LISTEN KMS_HTTP_LISTEN)

# listen_parse NAME VALUE: the addresses of VALUE, normalised, into LISTEN_PARSED; dies with
# one line naming NAME on anything else.
listen_parse() {
    local name=$1 value=$2 item
    local -a items
    LISTEN_PARSED=()
    IFS=',' read -ra items <<<"$value"
    for item in "${items[@]}"; do
        item=${item//[[:space:]]/}
        [[ -n $item ]] || continue
        listen_valid_address "$item" ||
            die "$name: '$item' is not an IP address (use e.g. 127.0.0.1, 0.0.0.0, [::1] or [::]; IPv6 in brackets; separate several with commas)"
        item=${item,,}
        [[ " ${LISTEN_PARSED[*]} " == *" $item "* ]] || LISTEN_PARSED+=("$item")
    done
    ((${#LISTEN_PARSED[@]})) || die "$name is empty: name at least one address (default 127.0.0.1)"
}

listen_valid_address() {
    local a=$1 octet groups
    if [[ $a =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]]; then
        for octet in "${BASH_REMATCH[@]:1}"; do
            [[ $octet =~ ^(0|[1-9][0-9]*)$ ]] && ((octet <= 255)) || return 1
        done
        return 0
    fi
    [[ $a =~ ^\[([0-9A-Fa-f:]+)\]$ ]] || return 1
    a=${BASH_REMATCH[1]}
    # Groups of 1-4 hex digits; "::" at most once and then fewer than 8 groups, else exactly 8.
    [[ $a != *:::* && $a =~ ^(::)?([0-9A-Fa-f]{1,4}(::?|$))*$ ]] || return 1
    [[ $a != *::*::* ]] || return 1
    groups=$(tr ':' '\n' <<<"$a" | grep -c '[0-9A-Fa-f]')
    if [[ $a == *::* ]]; then ((groups <= 7)); else ((groups == 8)) && [[ $a != *: ]]; fi
}

# listen_config: validates both settings and derives LISTEN_HTTPS / LISTEN_HTTP (arrays) and
# HTTPS_HOST / HTTP_HOST, the address in the URLs `status` prints and `up` probes: loopback when
# the listener includes it (a wildcard does), else the first address listed.
listen_config() {
    KMS_LISTEN=${KMS_LISTEN:-127.0.0.1}
    KMS_HTTP_LISTEN=${KMS_HTTP_LISTEN:-127.0.0.1}
    listen_parse KMS_LISTEN "$KMS_LISTEN"
    LISTEN_HTTPS=("${LISTEN_PARSED[@]}")
    listen_parse KMS_HTTP_LISTEN "$KMS_HTTP_LISTEN"
    LISTEN_HTTP=("${LISTEN_PARSED[@]}")
    HTTPS_HOST=$(listen_reach_host "${LISTEN_HTTPS[@]}")
    HTTP_HOST=$(listen_reach_host "${LISTEN_HTTP[@]}")
}

listen_reach_host() {
    local a
    for a in "$@"; do [[ $a == 127.0.0.1 || $a == 0.0.0.0 ]] && { echo 127.0.0.1; return; }; done
    for a in "$@"; do [[ $a == "[::1]" || $a == "[::]" ]] && { echo "[::1]"; return; }; done
    echo "$1"
}

# The `listen` lines of a rendered nginx.conf (none if it does not exist yet).
listen_lines_of() { grep -E '^[[:space:]]*listen ' "$1" 2>/dev/null || true; }

listen_is_wildcard() { [[ $1 == 0.0.0.0 || $1 == "[::]" ]]; }

# nginx `listen` lines for both listeners. An IPv6 wildcard is IPv6 only (nginx's default), so
# `0.0.0.0` and `[::]` can be listed together.
listen_nginx_lines() {
    local a
    for a in "${LISTEN_HTTP[@]}"; do printf '        listen %s:%s;\n' "$a" "$KMS_HTTP_PORT"; done
    for a in "${LISTEN_HTTPS[@]}"; do printf '        listen %s:%s ssl;\n' "$a" "$KMS_HTTPS_PORT"; done
}

# Before anything starts: every specific address is one of this host's (also checked when
# nginx runs: a reload onto an address the host lacks would fail silently, keeping the old
# listeners).
listen_check_addresses() {
    local a
    local -a local_addresses=()
    if command -v ip >/dev/null 2>&1; then
        mapfile -t local_addresses < <(ip -o addr show 2>/dev/null | awk '{print $4}' | sed 's#/.*##')
        for a in "${LISTEN_HTTPS[@]}" "${LISTEN_HTTP[@]}"; do
            listen_is_wildcard "$a" && continue
            local bare=${a#[}
            bare=${bare%]}
            [[ " ${local_addresses[*],,} " == *" $bare "* ]] ||
                die "$a is not an address of this host (KMS_LISTEN / KMS_HTTP_LISTEN name this host's own addresses; 'ip addr' lists them)"
        done
    fi
}

# Before nginx starts: nothing else listens where it will (the same address and port, or a
# wildcard of the same family on that port, either way round).
listen_check_ports() {
    local port
    local -a listening=()
    if command -v ss >/dev/null 2>&1; then
        # "ADDRESS:PORT" of every TCP listener; IPv4 as a.b.c.d, IPv6 as [x::y], wildcards as 0.0.0.0 / [::] / *.
        mapfile -t listening < <(ss -ltnH 2>/dev/null | awk '{print $4}' | sed 's/%[^]:]*//')
        listen_check_port "$KMS_HTTP_PORT" KMS_HTTP_PORT "${LISTEN_HTTP[@]}"
        listen_check_port "$KMS_HTTPS_PORT" KMS_HTTPS_PORT "${LISTEN_HTTPS[@]}"
    else
        for port in "$KMS_HTTP_PORT" "$KMS_HTTPS_PORT"; do
            port_in_use "$port" && die "127.0.0.1:$port is already in use (another stack? choose KMS_HTTP_PORT / KMS_HTTPS_PORT)"
        done
    fi
    return 0
}

# listen_check_port PORT SETTING ADDRESS...: uses `listening` from listen_check_ports.
listen_check_port() {
    local port=$1 setting=$2 a taken taken_addr
    shift 2
    for a in "$@"; do
        for taken in "${listening[@]}"; do
            [[ $taken == *":$port" ]] || continue
            taken_addr=${taken%:"$port"}
            [[ $taken_addr == "*" ]] && taken_addr=0.0.0.0
            if [[ $taken_addr == "$a" ]] || listen_same_family_wildcard "$a" "$taken_addr"; then
                die "$a:$port is already in use ($taken is listening; another stack? choose $setting, or stop what listens there)"
            fi
        done
    done
}

# Two addresses of one family where one is that family's wildcard: they cannot share a port.
listen_same_family_wildcard() {
    local a=$1 b=$2
    if [[ $a == \[* && $b == \[* ]]; then [[ $a == "[::]" || $b == "[::]" ]]; return; fi
    if [[ $a != \[* && $b != \[* ]]; then [[ $a == 0.0.0.0 || $b == 0.0.0.0 ]]; return; fi
    return 1
}

# "https://10.0.0.5:8443, https://127.0.0.1:8443" for the listener's addresses.
listen_urls() {
    local scheme=$1 port=$2 a out=""
    shift 2
    for a in "$@"; do out+="${out:+, }$scheme://$a:$port"; done
    printf '%s\n' "$out"
}
