# Installing what the stack and its tests need. Sourced by scripts/kms.
# Each check is local (dpkg, python imports), so a second run needs no network.

# What `up` needs at build and run time.
STACK_PACKAGES=(nginx libfcgi-dev libpq-dev libssl-dev pkg-config openssl curl ca-certificates postgresql-15 procps)
PYTHON_TEST_MODULES="import tencentcloud.kms, tencentcloud.organization, pytest, cryptography, tccli"
PYTHON_TEST_PACKAGES=(tencentcloud-sdk-python-kms tencentcloud-sdk-python-organization pytest cryptography tccli)

# The CAM tests drive the official CAM SDK too.
PYTHON_TEST_MODULES+=", tencentcloud.cam"
PYTHON_TEST_PACKAGES+=(tencentcloud-sdk-python-cam)

package_installed() {
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

ensure_apt_packages() {
    local pkg missing=()
    for pkg in "$@"; do
        package_installed "$pkg" || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) && return 0

    local sudo=()
    if ! is_root; then
        command -v sudo >/dev/null 2>&1 ||
            die "missing packages: ${missing[*]} (run as root, or install them with apt-get)"
        sudo=(sudo -n)
    fi
    say "installing missing packages: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
        die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" ||
        die "apt-get install ${missing[*]} failed"
}

ensure_python_test_deps() {
    command -v python3 >/dev/null 2>&1 || ensure_apt_packages python3 python3-pip
    python3 -c "$PYTHON_TEST_MODULES" 2>/dev/null && return 0
    say "installing Python test packages: ${PYTHON_TEST_PACKAGES[*]}"
    # A Debian-managed python refuses plain `pip install` (PEP 668); a pyenv/venv one accepts it.
    python3 -m pip install -q "${PYTHON_TEST_PACKAGES[@]}" ||
        python3 -m pip install -q --break-system-packages "${PYTHON_TEST_PACKAGES[@]}" ||
        die "pip install ${PYTHON_TEST_PACKAGES[*]} failed"
    python3 -c "$PYTHON_TEST_MODULES" || die "Python test packages still not importable"
}

# build_release: SwiftPM is incremental, so this is cheap when nothing changed.
build_release() {
    if [[ ${KMS_SKIP_BUILD:-} == 1 ]]; then
        say "KMS_SKIP_BUILD=1: not building"
        return 0
    fi
    command -v swift >/dev/null 2>&1 || die "swift not found (expected at /opt/swift/usr/bin)"
    say "building (swift build -c release)"
    (cd "$REPO" && swift build -c release) || die "swift build -c release failed"
}
