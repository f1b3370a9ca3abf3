"""Metrics while PostgreSQL is away (docs/OPERATIONS.md#monitoring): the scrape needs no database
and keeps answering; failed exchanges show in kms_database_errors_total, the failed requests as
InternalError; the audit queue drains once the database is back, nothing dropped."""

import time

from e2e_support import b64, unique_alias
from faults_support import classify
from metrics_support import scrape


def test_scrape_answers_and_counts_database_errors_while_postgres_is_down(stack, make_account):
    account = make_account("metrics-outage")
    raw = stack.raw
    kind, code, body = classify(raw.tc3(account, "CreateKey", {"Alias": unique_alias("metrics")}))
    assert kind == "ok", (kind, code, body)
    before = scrape()
    stack.postgres_stop("fast")
    try:
        for _ in range(3):
            kind, code, _ = classify(raw.tc3(account, "CreateKey", {"Alias": unique_alias("metrics")}))
            assert (kind, code) == ("error", "InternalError")
        down = scrape()   # answered by the responder with PostgreSQL stopped
    finally:
        stack.postgres_start()
    assert down.value("kms_requests_total", action="CreateKey", code="InternalError") \
        - before.value("kms_requests_total", action="CreateKey", code="InternalError") == 3
    assert down.value("kms_database_errors_total") - before.value("kms_database_errors_total") >= 3
    assert down.value("kms_audit_dropped_total") == before.value("kms_audit_dropped_total")

    stack.wait_healthy()
    deadline = time.time() + 15
    while (after := scrape()).value("kms_audit_queue_depth") > 0 and time.time() < deadline:
        time.sleep(0.5)
    assert after.value("kms_audit_queue_depth") == 0, "the audit queue drains once PostgreSQL is back"
    assert after.value("kms_audit_dropped_total") == before.value("kms_audit_dropped_total")
