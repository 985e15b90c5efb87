#!/usr/bin/python3
"""Writes the Grafana dashboards of deploy/grafana/ (JSON, schema 36, a Prometheus data source
chosen per dashboard): the suite overview and one dashboard per service with its RED view,
database pool and domain figures. Deterministic: the same files every run.
Run: /usr/bin/python3 deploy/grafana/gen_dashboards.py"""
import json
import os

SERVICES = {
    "catalog": "peixun.catalog.v1.CatalogService",
    "enrollment": "peixun.enrollment.v1.EnrollmentService",
    "evaluation": "peixun.evaluation.v1.EvaluationService",
    "funding": "peixun.funding.v1.FundingService",
}
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def panel(title, exprs, x, y, w=12, h=8, unit="short", kind="timeseries", description=""):
    """A panel; exprs is a list of (expr, legend)."""
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
        "targets": [{"refId": chr(ord("A") + i), "expr": e, "legendFormat": legend, "datasource": DATASOURCE}
                    for i, (e, legend) in enumerate(exprs)],
    }


def dashboard(uid, title, panels, description):
    for i, p in enumerate(panels):
        p["id"] = i + 1
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["peixun"],
        "schemaVersion": 36,
        "version": 1,
        "editable": True,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "templating": {"list": [{"name": "datasource", "label": "Prometheus", "type": "datasource",
                                 "query": "prometheus", "current": {}}]},
        "annotations": {"list": []},
        "links": [{"title": "peixun", "type": "dashboards", "tags": ["peixun"], "asDropdown": True}],
        "panels": panels,
    }


def red_panels(service, y):
    s = f'service="{service}"'
    return [
        panel("Calls per second by method", [(f"service_method:grpc_server_handled:rate5m{{{s}}}", "{{grpc_method}}")],
              0, y, unit="reqps"),
        panel("Server errors per second by method",
              [(f"service_method:grpc_server_errors:rate5m{{{s}}}", "{{grpc_method}}")], 12, y, unit="reqps",
              description="UNAVAILABLE, INTERNAL, DEADLINE_EXCEEDED and other server errors; refusals by rule are not errors."),
        panel("p99 of unary calls by method",
              [(f"service_method:grpc_server_handling_seconds:p99_5m{{{s}}}", "{{grpc_method}}")], 0, y + 8, unit="s"),
        panel("Refusals by code (per second)",
              [(f'sum by (grpc_code) (rate(grpc_server_handled_total{{{s}, grpc_code!="OK"}}[5m]))', "{{grpc_code}}")],
              12, y + 8, unit="reqps",
              description="INVALID_ARGUMENT names a field, FAILED_PRECONDITION a rule (R-…), PERMISSION_DENIED a role."),
    ]


def pool_panels(service, y):
    s = f'service="{service}"'
    return [
        panel("Database connections", [
            (f"sum(peixun_db_pool_in_use_connections{{{s}}})", "in use"),
            (f"sum(peixun_db_pool_open_connections{{{s}}})", "open"),
            (f"sum(peixun_db_pool_max_connections{{{s}}})", "max"),
        ], 0, y, w=8),
        panel("Wait for a connection (p99)", [
            (f"histogram_quantile(0.99, sum by (le) (rate(peixun_db_pool_wait_seconds_bucket{{{s}}}[5m])))", "p99"),
        ], 8, y, w=8, unit="s"),
        panel("Transactions: p99, retries and query errors", [
            (f"histogram_quantile(0.99, sum by (le) (rate(peixun_db_transaction_seconds_bucket{{{s}}}[5m])))", "p99 s"),
            (f"sum(rate(peixun_db_transaction_retries_total{{{s}}}[5m]))", "retries/s"),
            (f"sum by (kind) (rate(peixun_db_query_errors_total{{{s}}}[5m]))", "errors/s {{kind}}"),
        ], 16, y, w=8),
        panel("Outbox: events waiting for a sequence number", [
            (f"max(peixun_outbox_pending_events{{{s}}})", "pending"),
        ], 0, y + 8, w=12),
        panel("Outbox: newest event sequence", [(f"max(peixun_outbox_last_sequence{{{s}}})", "sequence")],
              12, y + 8, w=12),
    ]


DOMAIN = {
    "catalog": [
        panel("Catalog changes per hour by kind",
              [('sum by (kind) (increase(peixun_catalog_changes_total{service="catalog"}[1h]))', "{{kind}}")], 0, 0),
        panel("Project cache hit ratio", [(
            'sum(rate(peixun_catalog_project_cache_hits_total{service="catalog"}[5m])) / '
            '(sum(rate(peixun_catalog_project_cache_hits_total{service="catalog"}[5m])) + '
            'sum(rate(peixun_catalog_project_cache_misses_total{service="catalog"}[5m])))', "hit ratio")],
              12, 0, unit="percentunit"),
    ],
    "enrollment": [
        panel("Nominations per hour by outcome",
              [('sum by (outcome) (increase(peixun_enrollment_nominations_total{service="enrollment"}[1h]))',
                "{{outcome}}")], 0, 0,
              description="accepted, or the rule that refused (R-7 quota or deadline, R-9, R-12, R-13)."),
        panel("Quota fill per city",
              [('max by (city, year) (peixun_enrollment_city_nominated_seats{service="enrollment"}) / '
                'max by (city, year) (peixun_enrollment_city_quota_seats{service="enrollment"})',
                "{{city}} {{year}}")], 12, 0, kind="barchart", unit="percentunit",
              description="Seats held by nominations over the county quotas' seats, this year and next."),
        panel("Catalog copy: lag behind catalog", [
            ('max(peixun_enrollment_catalog_lag_seconds{service="enrollment"})', "lag"),
        ], 0, 8, unit="s", description="Seconds since enrollment last confirmed it follows catalog's events."),
        panel("Catalog copy: events applied vs catalog's newest", [
            ('max(peixun_enrollment_catalog_sequence{service="enrollment"})', "applied by enrollment"),
            ('max(peixun_outbox_last_sequence{service="catalog"})', "catalog's newest"),
        ], 12, 8),
        panel("Teacher import rows per second by outcome",
              [('sum by (outcome) (rate(peixun_enrollment_imported_rows_total{service="enrollment"}[5m]))',
                "{{outcome}}")], 0, 16),
        panel("Nominations per transaction (p50)",
              [('histogram_quantile(0.5, sum by (le) (rate(peixun_enrollment_nomination_batch_size_bucket{service="enrollment"}[5m])))',
                "p50")], 12, 16),
    ],
    "evaluation": [
        panel("Expert scores submitted per hour",
              [('sum(increase(peixun_evaluation_scores_total{service="evaluation"}[1h]))', "scores")], 0, 0),
        panel("Results computed and rounds published (total)", [
            ('sum(peixun_evaluation_results_computed_total{service="evaluation"})', "results computed"),
            ('sum(peixun_evaluation_rounds_published_total{service="evaluation"})', "rounds published"),
        ], 12, 0),
    ],
    "funding": [
        panel("Decisions by tier (total)",
              [('sum by (tier) (peixun_funding_decisions_total{service="funding"})', "{{tier}}")], 0, 0,
              kind="barchart"),
        panel("Decisions per hour by tier",
              [('sum by (tier) (increase(peixun_funding_decisions_total{service="funding"}[1h]))', "{{tier}}")],
              12, 0),
    ],
}


def service_dashboard(service):
    domain = DOMAIN[service]
    height = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in domain)
    panels = domain + red_panels(service, height) + pool_panels(service, height + 16)
    return dashboard(f"peixun-{service}", f"peixun · {service}", panels,
                     f"{service}: domain figures, RED view per method, database pool and outbox.")


def overview():
    panels = [
        panel("Up", [('up{job="peixun"}', "{{service}} {{instance}}")], 0, 0, w=8, kind="stat"),
        panel("Alerts firing", [('ALERTS{alertstate="firing"}', "{{alertname}} {{service}}")], 8, 0, w=16,
              kind="table"),
        panel("Calls per second", [("service:grpc_server_handled:rate5m", "{{service}}")], 0, 8, w=8, unit="reqps"),
        panel("Error ratio", [("service:grpc_server_error_ratio:rate5m", "{{service}}")], 8, 8, w=8,
              unit="percentunit", description="Alert above 1% for 5 minutes."),
        panel("p50 and p99 of unary calls", [
            ("service:grpc_server_handling_seconds:p99_5m", "p99 {{service}}"),
            ("service:grpc_server_handling_seconds:p50_5m", "p50 {{service}}"),
        ], 16, 8, w=8, unit="s", description="Alert when p99 is above 500 ms for 5 minutes."),
        panel("Database pool utilisation", [("service:peixun_db_pool_utilisation:ratio", "{{service}}")], 0, 16,
              w=12, unit="percentunit"),
        panel("Outbox events waiting", [("max by (service) (peixun_outbox_pending_events)", "{{service}}")], 12, 16,
              w=12),
    ]
    return dashboard("peixun-overview", "peixun · overview", panels,
                     "The suite at a glance: who is up, alerts, rate, errors, latency, database pools.")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    boards = {"overview": overview(), **{s: service_dashboard(s) for s in SERVICES}}
    for name, board in boards.items():
        with open(os.path.join(here, f"peixun-{name}.json"), "w", encoding="utf-8") as f:
            json.dump(board, f, ensure_ascii=False, indent=2)
            f.write("\n")
    print(f"{len(boards)} dashboards in {here}")


if __name__ == "__main__":
    main()
