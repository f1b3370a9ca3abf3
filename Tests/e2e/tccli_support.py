"""A private tccli for the end-to-end suite: tccli verifies TLS only against the ``certifi`` bundle of
the Python that runs it, so the suite builds a ``--system-site-packages`` venv whose own copy of
certifi (shadowing the system one, which stays untouched) has the stack's CA appended."""

import json
import os
import shutil
import subprocess
import sys


def run(cmd, **kwargs):
    """Runs one step (a README step, a venv command) and returns its stdout; a failure shows both outputs."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)
    assert proc.returncode == 0, (f"`{' '.join(map(str, cmd))}` exited {proc.returncode}\n"
                                  f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc.stdout


def private_tccli(ca_file, directory):
    """A directory holding a ``tccli`` whose Python trusts ``ca_file`` (tccli verifies TLS against
    its own certifi bundle only): a ``--system-site-packages`` venv with its own copy of certifi,
    the CA appended. The system certifi stays untouched."""
    import certifi
    import tccli  # noqa: F401  (fails loudly when tccli is missing)

    venv = os.path.join(directory, "tccli-venv")
    run([sys.executable, "-m", "venv", "--system-site-packages", venv])
    python = os.path.join(venv, "bin", "python")
    site_packages = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip()
    own_certifi = os.path.join(site_packages, "certifi")
    shutil.copytree(os.path.dirname(certifi.__file__), own_certifi)
    bundle = os.path.join(own_certifi, "cacert.pem")
    with open(ca_file) as src, open(bundle, "a") as dst:
        dst.write("\n" + src.read())
    where = run([python, "-c", "import certifi; print(certifi.where())"]).strip()
    assert os.path.realpath(where) == os.path.realpath(bundle), \
        f"the venv's certifi is {where}, not the copy with the local CA ({bundle})"
    run([python, "-W", "ignore", "-c", "import tccli.main"])
    wrapper = os.path.join(venv, "bin", "tccli")
    with open(wrapper, "w") as fh:
        fh.write(f"#!{python}\nfrom tccli.main import main\nimport sys\nsys.exit(main())\n")
    os.chmod(wrapper, 0o755)
    return os.path.dirname(wrapper)


def run_tccli(tccli_dir, https_endpoint, account, *args, home):
    """``tccli ARGS --endpoint HTTPS_ENDPOINT`` as ``account`` with HOME ``home``: (exit status, stdout, stderr)."""
    env = dict(os.environ)
    env.update({"TENCENTCLOUD_SECRET_ID": account.secret_id, "TENCENTCLOUD_SECRET_KEY": account.secret_key,
                "PATH": tccli_dir + os.pathsep + os.environ.get("PATH", ""), "HOME": home})
    proc = subprocess.run(["tccli", *args, "--endpoint", https_endpoint], capture_output=True, text=True,
                          timeout=120, env=env)
    return proc.returncode, proc.stdout, proc.stderr


def tccli_service(kms_env, account, directory, service):
    """``svc("Action", "--Param", v, …)``: ``tccli SERVICE …`` signed as ``account`` against the stack's
    HTTPS endpoint (a private tccli that trusts the stack's CA, built under ``directory``, with an empty
    HOME there); its JSON output, parsed, or with ``fails=True`` what it printed (it must fail)."""
    tccli = private_tccli(kms_env.ca_file, str(directory))
    home = os.path.join(str(directory), "home")
    os.makedirs(home, exist_ok=True)

    def call(*args, fails=False):
        rc, out, err = run_tccli(tccli, kms_env.https_endpoint, account, service, *args, home=home)
        if fails:   # what it said, to look for the error code in
            assert rc != 0, f"tccli {service} {' '.join(args)} succeeded: {out}"
            return out + err
        assert rc == 0, f"tccli {service} {' '.join(args)} exited {rc}: {out} {err}"
        return json.loads(out)
    return call
