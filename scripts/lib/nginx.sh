# nginx in front of the responder, configured from the templates in nginx/.
# Sourced by scripts/kms.

# nginx's master runs as root (as the developer without root), with this stack's prefix (the
# prefix, not the config file: the bench restarts it with a config of its own in the same prefix).
nginx_pid() {
    local user=root
    is_root || user=$(id -un)
    pid_from_file "$RUN_DIR/nginx.pid" "$user" "$(exe_path nginx)" "-p $NGINX_DIR/ "
}

# nginx with this stack's config and prefix; -e sends start-up errors to our log
# instead of the compiled-in /var/log/nginx/error.log.
nginx_cmd() { nginx -e "$LOG_DIR/nginx-error.log" -p "$NGINX_DIR/" -c "$NGINX_CONF" "$@"; }

# The socket of nginx's front lane: the responder's front socket if the responder that runs
# has one (its command line in responder.cmd, or, before it first starts, KMS_FRONT_WORKERS);
# otherwise the workers' socket, so both lanes reach it. A responder started before the front
# lane existed, or with KMS_FRONT_WORKERS=0, has none, and keeps running through an `up` that
# only warns that its settings changed: nginx must not pass to a socket nobody listens on.
nginx_front_socket() {
    local cmd=$RUN_DIR/responder.cmd
    if ((KMS_FRONT_WORKERS > 0)) && { [[ ! -r $cmd ]] || grep -q -- "--front-socket" "$cmd"; }; then
        printf '%s\n' "$FCGI_FRONT_SOCKET"
    else
        printf '%s\n' "$FCGI_SOCKET"
    fi
}

# Renders nginx/nginx.conf.template into $NGINX_CONF. Returns 0 if it changed.
nginx_render() {
    local text user_line changed=1
    text=$(<"$REPO/nginx/nginx.conf.template")
    if is_root; then
        user_line="user $WEB_USER;"
    else
        user_line="# not root: the workers run as $(id -un)"
    fi
    # Quoted replacements: bash 5.2 would otherwise expand '&' in them.
    text=${text//@USER_LINE@/"$user_line"}
    text=${text//@RUN_DIR@/"$RUN_DIR"}
    text=${text//@LOG_DIR@/"$LOG_DIR"}
    text=${text//@NGINX_DIR@/"$NGINX_DIR"}
    text=${text//@HTTP_PORT@/"$KMS_HTTP_PORT"}
    text=${text//@HTTPS_PORT@/"$KMS_HTTPS_PORT"}
    text=${text//@LISTEN@/"$(listen_nginx_lines | sed '1s/^ *//')"}
    text=${text//@TLS_CERT@/"$TLS_CERT"}
    text=${text//@TLS_KEY@/"$TLS_KEY"}
    text=${text//@FCGI_SOCKET@/"$FCGI_SOCKET"}
    text=${text//@FCGI_FRONT_SOCKET@/"$(nginx_front_socket)"}
    if [[ $text =~ @[A-Z_]+@ ]]; then die "nginx template has an unknown placeholder: ${BASH_REMATCH[0]}"; fi

    write_if_changed "$NGINX_DIR/fastcgi_params" root:root 0644 <"$REPO/nginx/fastcgi_params" && changed=0
    metrics_render_nginx && changed=0
    printf '%s\n' "$text" | write_if_changed "$NGINX_CONF" root:root 0644 && changed=0
    return $changed
}

nginx_start() {
    local changed=1 pid old_listen
    old_listen=$(listen_lines_of "$NGINX_CONF")
    nginx_render && changed=0
    nginx_cmd -t -q || die "nginx rejected $NGINX_CONF"
    if ((changed == 0)) && pid=$(nginx_pid) && [[ $(listen_lines_of "$NGINX_CONF") != "$old_listen" ]]; then
        # New listeners need a restart: a reload that cannot bind one (a wildcard beside a
        # specific address on the same port) keeps the old configuration, silently.
        say "nginx listen addresses changed: restarting nginx (pid $pid)"
        nginx_stop
    fi

    if pid=$(nginx_pid); then
        if ((changed == 0)); then
            say "nginx configuration changed: reloading nginx (pid $pid)"
            # HUP is what `nginx -s reload` sends, but to the pid checked above, not to
            # whatever the pid file says.
            kill -HUP "$pid"
        else
            say "nginx already running (pid $pid)"
        fi
        return 0
    fi

    nginx_check_ports
    say "starting nginx on $(listen_urls http "$KMS_HTTP_PORT" "${LISTEN_HTTP[@]}") and $(listen_urls https "$KMS_HTTPS_PORT" "${LISTEN_HTTPS[@]}")"
    # 9>&-: the daemon must not inherit our lock on $KMS_HOME.
    nginx_cmd 9>&- || die "nginx did not start (log: $LOG_DIR/nginx-error.log)"
    local deadline=$((SECONDS + 10))
    until nginx_pid >/dev/null; do
        ((SECONDS < deadline)) || die "nginx did not write its pid file (log: $LOG_DIR/nginx-error.log)"
        sleep 0.1
    done
}

# Fails early, before anything starts, if our ports are taken (by another stack?) on the
# addresses we listen on, or an address is not this host's (scripts/lib/listen.sh).
nginx_check_ports() {
    listen_check_addresses
    nginx_pid >/dev/null && return 0
    listen_check_ports
    if [[ -n ${METRICS_ENDPOINT:-} ]] && port_in_use "$KMS_METRICS_PORT"; then
        die "127.0.0.1:$KMS_METRICS_PORT is already in use (another stack? choose KMS_METRICS_PORT)"
    fi
}

nginx_stop() {
    local pid
    if ! pid=$(nginx_pid); then
        say "nginx not running"
        return 0
    fi
    say "stopping nginx (pid $pid)"
    # QUIT is what `nginx -s quit` sends: finish open requests, then exit. Sent directly
    # so that stopping works even if the rendered config has gone or is broken.
    kill -QUIT "$pid" 2>/dev/null
    if ! wait_gone "$pid" 10; then
        warn "nginx $pid still running after 10s; terminating it"
        kill -TERM "$pid" 2>/dev/null
        wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null
    fi
}
