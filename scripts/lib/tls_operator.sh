# The operator's certificate (KMS_TLS_CERT, KMS_TLS_KEY, optional KMS_TLS_CA), checked before
# `up` starts anything, so that a wrong file is a one-line error and not an nginx that will not
# start after PostgreSQL and the responder did; and the names the local CA's certificate
# carries. Sourced by scripts/kms after tls.sh.

TLS_EXPIRY_WARN_SECONDS=$((30 * 24 * 3600))

tls_check_operator() {
    if [[ -z $KMS_TLS_CERT ]]; then
        [[ -z $KMS_TLS_KEY ]] || die "KMS_TLS_KEY is set but KMS_TLS_CERT is not: give both (or neither, for the local CA's certificate)"
        [[ -z $KMS_TLS_CA ]] || die "KMS_TLS_CA is set but KMS_TLS_CERT is not: KMS_TLS_CA names the CA of your own certificate"
        return 0
    fi
    local cert=$KMS_TLS_CERT key=$KMS_TLS_KEY mode cert_pub key_pub
    [[ -n $key ]] || die "KMS_TLS_CERT is set but KMS_TLS_KEY is not: give the certificate's private key too"
    [[ $cert == /* && $key == /* ]] || die "KMS_TLS_CERT and KMS_TLS_KEY must be absolute paths (nginx reads them from its own directory): $cert, $key"
    local file
    for file in "$cert" "$key" ${KMS_TLS_CA:+"$KMS_TLS_CA"}; do
        [[ -e $file ]] || die "$file does not exist"
        [[ -f $file ]] || die "$file is not a regular file"
        [[ -r $file ]] || die "$file is not readable by $(id -un) (nginx's master process reads it as $(id -un))"
        # nginx.conf quotes nothing; keep the paths free of what would break it.
        [[ ! $file =~ [[:space:]\;\{\}\"\'\$\\] ]] || die "$file: the path must not contain spaces, quotes, ';', '{', '}', '\$' or backslashes"
    done

    # The key file: no access for others, nobody but its owner may write it (0600, 0400 or, with
    # a group such as Debian's ssl-cert, 0640); owned by root or by whoever runs the stack.
    mode=$(stat -L -c '%a' "$key")
    if (((8#$mode & 8#027) != 0)); then
        die "$key has mode $mode: a private key must not be readable by others nor writable by its group (chmod 600 $key)"
    fi
    local owner
    owner=$(stat -L -c '%u' "$key")
    [[ $owner == 0 || $owner == "$(id -u)" ]] ||
        die "$key belongs to uid $owner: the private key must belong to root or to $(id -un)"

    openssl x509 -in "$cert" -noout 2>/dev/null || die "$cert is not a PEM certificate"
    if ! openssl pkey -in "$key" -passin pass: -noout 2>/dev/null; then
        if grep -q ENCRYPTED "$key" 2>/dev/null; then
            die "$key is encrypted: nginx cannot ask for a passphrase; give it the key unencrypted (mode 0600)"
        fi
        die "$key is not a PEM private key"
    fi
    cert_pub=$(openssl x509 -in "$cert" -noout -pubkey 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null | sha256sum)
    key_pub=$(openssl pkey -in "$key" -passin pass: -pubout -outform DER 2>/dev/null | sha256sum)
    [[ $cert_pub == "$key_pub" ]] || die "$key is not the private key of $cert (their public keys differ)"

    openssl x509 -in "$cert" -noout -checkend 0 >/dev/null 2>&1 ||
        die "$cert has expired ($(openssl x509 -in "$cert" -noout -enddate | cut -d= -f2))"
    if [[ -n $KMS_TLS_CA ]]; then
        # The file may hold the leaf and its intermediates, as nginx wants it.
        openssl verify -CAfile "$KMS_TLS_CA" -untrusted "$cert" "$cert" >/dev/null 2>&1 ||
            die "$cert does not chain to KMS_TLS_CA ($KMS_TLS_CA)"
    fi
    # Warnings last: an error above is the one line an operator sees.
    openssl x509 -in "$cert" -noout -checkend "$TLS_EXPIRY_WARN_SECONDS" >/dev/null 2>&1 ||
        warn "$cert expires in less than 30 days ($(openssl x509 -in "$cert" -noout -enddate | cut -d= -f2))"
    tls_names_listen_addresses "$cert" ||
        warn "$cert does not name every address in KMS_LISTEN (it names: $(tls_cert_names "$cert")): clients must connect by a name it carries"
    return 0
}

# The subjectAltName of the local CA's server certificate: localhost, 127.0.0.1 and every
# specific (not wildcard) address HTTPS listens on.
tls_local_names() {
    local names="DNS:localhost, IP:127.0.0.1" a
    for a in "${LISTEN_HTTPS[@]}"; do
        listen_is_wildcard "$a" && continue
        a=${a#[}
        a=${a%]}
        [[ $a == 127.0.0.1 ]] || names+=", IP:$a"
    done
    printf '%s\n' "$names"
}

# tls_names_listen_addresses CERT: CERT names every specific KMS_LISTEN address.
tls_names_listen_addresses() {
    local a
    for a in "${LISTEN_HTTPS[@]}"; do
        listen_is_wildcard "$a" && continue
        a=${a#[}
        a=${a%]}
        openssl x509 -in "$1" -noout -checkip "$a" 2>/dev/null | grep -q 'does match' || return 1
    done
}

tls_cert_names() {
    openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ' | paste -sd, - || true
}

# curl's TLS arguments for probing https://$HTTPS_HOST (one per line): verify against the CA
# file when the certificate names that address, else skip verification (an operator's
# certificate for a DNS name; the probe checks the path through nginx, not the name).
tls_probe_args() {
    local host=${HTTPS_HOST#[}
    host=${host%]}
    if [[ -n $CA_FILE ]] && openssl x509 -in "$TLS_CERT" -noout -checkip "$host" 2>/dev/null | grep -q 'does match'; then
        printf '%s\n' --cacert "$CA_FILE"
    else
        printf '%s\n' --insecure
    fi
}
