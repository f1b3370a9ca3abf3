"""docs/OPERATIONS.md#monitoring: the alert rules it recommends load in Prometheus (promtool) and
name only exported metrics; every metric the endpoint exports is documented there."""

import os
import re
import shutil
import subprocess
import tempfile

from metrics_support import METRIC_NAME, scrape

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "docs", "OPERATIONS.md")


def doc_text():
    with open(DOC) as f:
        return f.read()


def rules_yaml():
    blocks = re.findall(r"```yaml\n(.*?)```", doc_text(), re.S)
    rules = [b for b in blocks if b.startswith("groups:")]
    assert len(rules) == 1, "docs/OPERATIONS.md should hold one block of alert rules"
    return rules[0]


def test_recommended_alert_rules_load_in_prometheus():
    promtool = shutil.which("promtool") or "/usr/bin/promtool"
    assert os.access(promtool, os.X_OK), "promtool missing: scripts/kms test installs the prometheus package"
    with tempfile.NamedTemporaryFile("w", suffix=".yml", prefix="kms-rules.", dir="/tmp") as f:
        f.write(rules_yaml())
        f.flush()
        out = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr


def test_alerts_name_only_exported_metrics_and_every_metric_is_documented():
    exported = scrape().exported_names()
    named = set(METRIC_NAME.findall(rules_yaml()))
    assert named <= exported, f"alert rules name metrics nobody exports: {sorted(named - exported)}"
    text = doc_text()
    undocumented = {name for name in scrape().types if f"`{name}`" not in text}
    assert not undocumented, f"exported but not documented in docs/OPERATIONS.md: {sorted(undocumented)}"
