"""The bench stack's processes, shared by kmsbench.py and profiling.py: pids, CPU accounting per
process group, waiting until the stack is quiet, and the log line and failure type of every
bench module. It imports no other bench module, so neither of those two imports the other.
"""

import os
import resource
import subprocess
import time

START = time.time()


def log(msg):
    print(f"bench [{time.time() - START:6.1f}s] {msg}", flush=True)


class BenchFailure(Exception):
    """A check failed: the measurement cannot be trusted."""


CLK = os.sysconf("SC_CLK_TCK")


def serving_group(target):
    """The process group that answers a run's requests (the "responder" column of its CPU)."""
    return target if target in ("baseline", "ceiling", "feature") else "responder"


def report_failures(failures):
    """The exit status of a bench run: 0 when it was clean, else 1 with each failure logged."""
    if not failures:
        return 0
    log("the run is NOT clean:")
    for failure in failures:
        log(f"  - {failure}")
    return 1


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def proc_cpu(pid):
    """utime + stime of a process (all its threads), in clock ticks; None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out.append(int(entry))
    return out


def system_cpu():
    """(busy ticks, steal ticks, total ticks) over all CPUs, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq + steal
    return busy, steal, busy + idle + iowait


def vm_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "VmSize", "Threads"):
                    out[key] = value.strip()
    except OSError:
        pass
    return out


class Stack:
    """Pids and database access of the bench stack."""

    def __init__(self, cfg):
        self.cfg = cfg
        # Processes a phase runs beside the stack for a while (the honest ceiling's nginx and
        # responder, the feature-cost responders): {group name: [pids]}, accounted like the others.
        self.extra = {}

    def responder_pid(self):
        return read_pid(os.path.join(self.cfg.run_dir, "responder.pid"))

    def supervisor_pid(self):
        return read_pid(os.path.join(self.cfg.run_dir, "supervisor.pid"))

    def nginx_pid(self):
        return read_pid(os.path.join(self.cfg.run_dir, "nginx.pid"))

    def postgres_pid(self):
        return read_pid(os.path.join(self.cfg.pg_data, "postmaster.pid"))

    def groups(self):
        """Process groups whose CPU time the bench accounts for separately."""
        g = {"responder": [self.responder_pid()], "trivial": [self.cfg.trivial_pid],
             "baseline": [self.cfg.baseline_pid]}
        n = self.nginx_pid()
        g["nginx"] = [n] + children(n) if n else []
        p = self.postgres_pid()
        g["postgres"] = [p] + children(p) if p else []
        g.update(self.extra)
        return {k: [x for x in v if x] for k, v in g.items()}

    def as_pg_user(self, argv):
        if os.geteuid() == 0 and self.cfg.pg_user != "root":
            return ["runuser", "-u", self.cfg.pg_user, "--"] + argv
        return argv

    def psql(self, sql):
        """Runs SQL as the superuser (row-level security does not apply); rows as lists."""
        dsn = f"host={os.path.join(self.cfg.run_dir, 'pg')} dbname=kms user=postgres"
        out = subprocess.run([os.path.join(self.cfg.pg_bin, "psql"), "-X", "-At", "-F", "\t",
                              "-v", "ON_ERROR_STOP=1", dsn, "-c", sql],
                             check=True, capture_output=True, text=True, cwd="/").stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def crash_restart_postgres(self):
        """Stops PostgreSQL the way a crash does (immediate: no checkpoint, WAL replay on
        start) and starts it again."""
        pg_ctl = os.path.join(self.cfg.pg_bin, "pg_ctl")
        subprocess.run(self.as_pg_user([pg_ctl, "-D", self.cfg.pg_data, "-m", "immediate", "-w", "-s", "stop"]),
                       check=True, cwd="/")
        subprocess.run(self.as_pg_user([pg_ctl, "-D", self.cfg.pg_data, "-l",
                                        os.path.join(self.cfg.log_dir, "postgres.log"), "-w", "-t", "60", "-s", "start"]),
                       check=True, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


class CpuMeter:
    """CPU used by each process group (and by everything else on the machine) over a run."""

    def __init__(self, stack):
        self.stack = stack

    def start(self):
        self.groups = self.stack.groups()
        self.t0 = time.time()
        self.sys0 = system_cpu()
        self.proc0 = {pid: proc_cpu(pid) for pids in self.groups.values() for pid in pids}
        self.child0 = resource.getrusage(resource.RUSAGE_CHILDREN)

    def stop(self):
        elapsed = time.time() - self.t0
        busy1, steal1, _ = system_cpu()
        child1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        ticks = CLK * elapsed
        out = {}
        ours = 0.0
        for name, pids in self.groups.items():
            used = 0
            for pid in pids:
                before, after = self.proc0.get(pid), proc_cpu(pid)
                if before is not None and after is not None:
                    used += after - before
            out[name] = used / ticks
            ours += used
        wrk = (child1.ru_utime + child1.ru_stime) - (self.child0.ru_utime + self.child0.ru_stime)
        out["wrk"] = wrk / elapsed
        busy = busy1 - self.sys0[0]
        out["other"] = max(0.0, (busy - ours) / ticks - out["wrk"])
        out["steal"] = (steal1 - self.sys0[1]) / ticks
        out["total"] = busy / ticks
        return {k: round(v, 3) for k, v in out.items()}


def wait_quiet(stack, limit=30.0, threshold=0.05):
    """Waits until the stack's processes are idle (e.g. a backlog of key generations after
    GetParametersForImport), so that one run does not pay for the previous one."""
    deadline = time.time() + limit
    while time.time() < deadline:
        groups = stack.groups()
        pids = [p for v in groups.values() for p in v]
        before = {p: proc_cpu(p) for p in pids}
        time.sleep(0.5)
        used = sum((proc_cpu(p) or 0) - (before[p] or 0) for p in pids if before[p] is not None)
        if used / (CLK * 0.5) < threshold:
            return True
    log(f"warning: the stack was still busy after {limit:.0f}s of waiting")
    return False
