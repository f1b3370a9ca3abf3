# The Prometheus metrics endpoint: nginx serves http://127.0.0.1:$KMS_METRICS_PORT/metrics and
# passes each scrape to the responder over its FastCGI socket (docs/OPERATIONS.md#monitoring).
# Sourced by scripts/kms, after common.sh.

CONFIG_KEYS+=(KMS_METRICS_PORT)
DEFAULT_METRICS_PORT=9464
# What the metrics tests need besides the stack: a real Prometheus server.
METRICS_TEST_PACKAGES=(prometheus)

# Called by load_config: KMS_METRICS_PORT is a TCP port or `off`. METRICS_PORT_GIVEN says
# whether the caller or stack.env named it (only the default gives way to another stack).
metrics_load_config() {
    METRICS_PORT_GIVEN=0
    [[ -n ${KMS_METRICS_PORT:-} ]] && METRICS_PORT_GIVEN=1
    KMS_METRICS_PORT=${KMS_METRICS_PORT:-$DEFAULT_METRICS_PORT}
    METRICS_ENDPOINT=
    [[ $KMS_METRICS_PORT == off ]] && return 0
    if ! [[ $KMS_METRICS_PORT =~ ^[0-9]+$ ]] || ((KMS_METRICS_PORT < 1 || KMS_METRICS_PORT > 65535)); then
        die "KMS_METRICS_PORT must be a TCP port or 'off': $KMS_METRICS_PORT"
    fi
    if [[ $KMS_METRICS_PORT == "$KMS_HTTP_PORT" || $KMS_METRICS_PORT == "$KMS_HTTPS_PORT" ]]; then
        die "KMS_METRICS_PORT must differ from KMS_HTTP_PORT and KMS_HTTPS_PORT: $KMS_METRICS_PORT"
    fi
    METRICS_ENDPOINT=http://127.0.0.1:$KMS_METRICS_PORT/metrics
}

# For `up`: a stack that never chose a metrics port, whose default is taken by something else
# (another stack on this machine), runs without metrics rather than not at all, and says so;
# the choice is remembered in stack.env. A port that was chosen must be free, also when a running
# nginx moves to it (its reload would fail quietly).
metrics_choose_port() {
    [[ $KMS_METRICS_PORT == off ]] && return 0
    # Already ours: this stack's running nginx serves it.
    nginx_pid >/dev/null && grep -qsF "listen 127.0.0.1:$KMS_METRICS_PORT;" "$NGINX_DIR/metrics.conf" && return 0
    port_in_use "$KMS_METRICS_PORT" || return 0
    ((METRICS_PORT_GIVEN)) && die "127.0.0.1:$KMS_METRICS_PORT is already in use (another stack? choose KMS_METRICS_PORT)"
    warn "127.0.0.1:$KMS_METRICS_PORT (the default metrics port) is in use, by another stack?; this stack runs without metrics (KMS_METRICS_PORT=off). Choose a free port with KMS_METRICS_PORT=PORT scripts/kms up"
    KMS_METRICS_PORT=off
    METRICS_ENDPOINT=
}

# Renders nginx/metrics.conf.template into $NGINX_DIR/metrics.conf (a comment only when metrics
# are off). Returns 0 if the file changed.
metrics_render_nginx() {
    local text
    if [[ $KMS_METRICS_PORT == off ]]; then
        text="# KMS_METRICS_PORT=off: no metrics server."
    else
        text=$(<"$REPO/nginx/metrics.conf.template")
        text=${text//@METRICS_PORT@/"$KMS_METRICS_PORT"}
        text=${text//@NGINX_DIR@/"$NGINX_DIR"}
        text=${text//@FCGI_SOCKET@/"$FCGI_SOCKET"}
        if [[ $text =~ @[A-Z_]+@ ]]; then die "nginx metrics template has an unknown placeholder: ${BASH_REMATCH[0]}"; fi
    fi
    printf '%s\n' "$text" | write_if_changed "$NGINX_DIR/metrics.conf" root:root 0644
}

# The metrics endpoint as JSON for `status --json` (null when off).
metrics_endpoint_json() {
    if [[ -n $METRICS_ENDPOINT ]]; then json_string "$METRICS_ENDPOINT"; else printf 'null'; fi
}
