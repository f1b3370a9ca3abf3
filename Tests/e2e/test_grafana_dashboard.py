"""The shipped Grafana dashboard (docs/grafana/kms-dashboard.json) is valid JSON, covers what an
operator watches, and names only metrics the endpoint exports."""

import json

from metrics_support import METRIC_NAME, dashboard_queries, load_dashboard, scrape


def test_dashboard_parses_and_has_the_panels_operators_need():
    dashboard = load_dashboard()
    assert dashboard["panels"], "no panels"
    exprs = " ".join(dashboard_queries())
    for needed in ("kms_requests_total", "kms_request_duration_seconds_bucket", "histogram_quantile", 'code!="OK"',
                   "kms_audit_queue_depth", "kms_audit_dropped_total", "kms_scheduled_job_lag_seconds",
                   "kms_key_cache_hits_total", "kms_key_cache_misses_total", "kms_wrapping_key_pool_size",
                   "kms_database_errors_total", "kms_nginx_connections_active"):
        assert needed in exprs, f"no panel queries {needed}"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    for panel in dashboard["panels"]:
        assert panel.get("title") and panel.get("targets"), panel


def test_every_metric_the_dashboard_queries_is_exported():
    dashboard = load_dashboard()
    named = set(METRIC_NAME.findall(" ".join(dashboard_queries())))
    for variable in dashboard["templating"]["list"]:
        if variable.get("type") == "query":
            named |= set(METRIC_NAME.findall(json.dumps(variable["query"])))
    exported = scrape().exported_names()
    assert named, "no metric names found in the dashboard"
    assert named <= exported, f"the dashboard queries metrics the endpoint does not export: {sorted(named - exported)}"
