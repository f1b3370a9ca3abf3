# TLS for nginx's HTTPS listener: a local CA made on first run and a server
# certificate for localhost/127.0.0.1 signed by it, or the operator's own
# certificate (KMS_TLS_CERT + KMS_TLS_KEY, optional KMS_TLS_CA). Sourced by scripts/kms.

TLS_LEAF_DAYS=825
TLS_RENEW_SECONDS=$((30 * 24 * 3600))

tls_ensure() {
    if [[ -n $KMS_TLS_CERT ]]; then
        [[ -n $KMS_TLS_KEY ]] || die "KMS_TLS_CERT is set but KMS_TLS_KEY is not"
        [[ -r $KMS_TLS_CERT && -r $KMS_TLS_KEY ]] || die "cannot read $KMS_TLS_CERT or $KMS_TLS_KEY"
        say "TLS: using the operator's certificate $KMS_TLS_CERT"
        return 0
    fi
    local ca=$TLS_DIR/ca.pem ca_key=$TLS_DIR/ca.key
    if [[ ! -s $ca || ! -s $ca_key ]]; then
        say "TLS: creating a local CA at $ca"
        tls_make_ca "$ca" "$ca_key"
    fi
    # (Re)issue the server certificate when missing, close to expiry, not from this CA, or
    # not naming every address HTTPS listens on (KMS_LISTEN changed).
    if [[ ! -s $TLS_CERT || ! -s $TLS_KEY ]] ||
        ! openssl x509 -checkend "$TLS_RENEW_SECONDS" -noout -in "$TLS_CERT" >/dev/null 2>&1 ||
        ! openssl verify -CAfile "$ca" "$TLS_CERT" >/dev/null 2>&1 ||
        ! tls_names_listen_addresses "$TLS_CERT"; then
        say "TLS: issuing a server certificate for $(tls_local_names | sed 's/DNS://; s/, IP:/, /g')"
        tls_make_server_cert "$ca" "$ca_key" "$TLS_CERT" "$TLS_KEY"
    fi
}

# The extensions, in one place: CA:TRUE with keyCertSign on the CA; CA:FALSE, serverAuth,
# subjectAltName and authorityKeyIdentifier on the leaf (strict verifiers such as
# Python 3.13's default context insist on them).
tls_openssl_config() {
    cat <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = localhost
[ v3_ca ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = @SAN@
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF
}

tls_make_ca() {
    local ca=$1 ca_key=$2 cnf
    cnf=$(mktemp)
    tls_openssl_config | sed "s/@SAN@/$(tls_local_names)/" >"$cnf"
    # A random suffix tells the CAs of side-by-side stacks apart.
    (umask 077 && openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$ca_key.tmp" -out "$ca.tmp" -days 3650 -sha256 \
        -config "$cnf" -extensions v3_ca \
        -subj "/O=KMS local/CN=KMS local CA $(openssl rand -hex 4)" 2>/dev/null) ||
        { rm -f "$cnf"; die "could not create the local CA"; }
    rm -f "$cnf"
    chmod 0644 "$ca.tmp"
    mv -f "$ca_key.tmp" "$ca_key"
    mv -f "$ca.tmp" "$ca"
}

tls_make_server_cert() {
    local ca=$1 ca_key=$2 cert=$3 key=$4 cnf csr
    cnf=$(mktemp)
    csr=$(mktemp)
    tls_openssl_config | sed "s/@SAN@/$(tls_local_names)/" >"$cnf"
    (umask 077 &&
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$key.tmp" -out "$csr" -config "$cnf" -subj "/CN=localhost" 2>/dev/null &&
        openssl x509 -req -in "$csr" -CA "$ca" -CAkey "$ca_key" \
            -set_serial "0x$(openssl rand -hex 16)" -days "$TLS_LEAF_DAYS" -sha256 \
            -extfile "$cnf" -extensions v3_leaf -out "$cert.tmp" 2>/dev/null) ||
        { rm -f "$cnf" "$csr"; die "could not issue the server certificate"; }
    rm -f "$cnf" "$csr"
    chmod 0644 "$cert.tmp"
    mv -f "$key.tmp" "$key"
    mv -f "$cert.tmp" "$cert"
}
