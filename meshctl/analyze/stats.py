"""`pc stats`: the Envoy statistics people read when debugging, as tables (pure).

istioctl `x envoy-stats` (istioctl/pkg/proxyconfig/proxyconfig.go StatsConfigCmd) prints Envoy's
raw answers: ``/stats`` (or ``/clusters`` with ``--type clusters``) as text, ``?format=json``
indented for json and yaml, ``/stats/prometheus`` for prom. Those stay available; the short view
here picks out of the same numbers what answers "why does this call fail":

- per upstream cluster (``cluster.<name>.*``): members healthy, connections (active, failed to
  connect, timeouts included: Envoy counts a connect timeout in both; refused for want of a
  healthy host, Envoy's 503 UH), requests by status class,
  request timeouts, retries, overflows (circuit breakers), TLS handshakes and failures by reason,
  outlier ejections;
- per HTTP connection manager and network filter stat prefix: downstream requests by status class
  and the RBAC filter's allowed/denied decisions (shadow/dry-run ones apart);
- per upstream host (``--type clusters``): connections, requests, errors and timeouts.

Counters Envoy creates on first use (``upstream_rq_2xx``, ``ssl.fail_*``) count as 0 until then.
Rows with no activity are left out unless asked for: a mesh proxy has hundreds of idle clusters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from meshctl.model.tabular import Tabular
from meshctl.model.views import EndpointView

Stats = Mapping[str, "int | str"]

_CLUSTER_MARKER = ".membership_total"  # every cluster has this gauge
_STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
# Envoy's RBAC filters: <prefix>.rbac.{allowed,denied} and <shadow prefix>shadow_{allowed,denied};
# Istio names its dry-run (shadow) rules with the prefix istio_dry_run_allow_ / istio_dry_run_deny_.
_RBAC = re.compile(r"^(?P<prefix>.+?)\.rbac\.(?P<shadow>(?:[a-z0-9_]*_)?shadow_)?(?P<decision>allowed|denied)$")
_HCM_TOTAL = re.compile(r"^http\.(?P<prefix>.+)\.downstream_rq_total$")
ADMIN_PREFIX = "http.admin"  # Envoy's own admin listener: our reads, not mesh traffic


def _int(stats: Stats, name: str) -> int:
    value = stats.get(name, 0)
    return value if isinstance(value, int) else 0


@dataclass(frozen=True)
class ClusterStats:
    """The debugging counters of one upstream cluster."""

    name: str
    healthy: int
    members: int
    cx_active: int
    cx_total: int
    cx_connect_fail: int
    cx_connect_timeout: int
    cx_none_healthy: int  # no healthy upstream host (Envoy's 503 UH)
    rq_active: int
    rq_total: int
    rq_by_class: tuple[int, int, int, int]  # 2xx, 3xx, 4xx, 5xx
    rq_timeout: int
    rq_retry: int
    overflow: int  # pending-request, connection and retry overflows (circuit breakers tripped)
    ssl_handshake: int
    ssl_errors: tuple[tuple[str, int], ...]  # (reason, count) for each non-zero failure counter
    ejections_active: int
    ejections_total: int

    @property
    def active(self) -> bool:
        """Any traffic or trouble at all (idle clusters are left out of the short view)."""
        return bool(self.cx_total or self.rq_total or self.cx_connect_fail or self.cx_none_healthy or self.overflow
                    or self.ssl_errors or self.ejections_total or self.ejections_active)


def cluster_names(stats: Stats) -> list[str]:
    """Upstream cluster names in `pc cluster`'s order (service FQDN, subset, port, direction). Names
    contain dots, so they are found from a stat every cluster has."""
    from meshctl.analyze.order import cluster_key

    return sorted((name[len("cluster."):-len(_CLUSTER_MARKER)] for name in stats
                   if name.startswith("cluster.") and name.endswith(_CLUSTER_MARKER)), key=cluster_key)


def _ssl_errors(stats: Stats, clusters: set[str]) -> dict[str, list[tuple[str, int]]]:
    """cluster -> non-zero ``ssl.fail_*`` / ``ssl.connection_error`` counters, in one pass over the stats."""
    errors: dict[str, list[tuple[str, int]]] = {}
    for stat, value in stats.items():
        if not stat.startswith("cluster.") or ".ssl." not in stat or not isinstance(value, int) or not value:
            continue
        cut = stat.rindex(".ssl.")
        cluster, reason = stat[len("cluster."):cut], stat[cut + len(".ssl."):]
        if cluster in clusters and (reason.startswith("fail_") or reason == "connection_error"):
            errors.setdefault(cluster, []).append((reason, value))
    return errors


def cluster_stats(stats: Stats) -> list[ClusterStats]:
    """One ClusterStats per upstream cluster, by name."""
    names = cluster_names(stats)
    ssl_errors = _ssl_errors(stats, set(names))
    found = []
    for name in names:
        prefix = f"cluster.{name}."

        def get(stat: str, prefix: str = prefix) -> int:
            return _int(stats, prefix + stat)

        found.append(ClusterStats(
            name=name, healthy=get("membership_healthy"), members=get("membership_total"),
            cx_active=get("upstream_cx_active"), cx_total=get("upstream_cx_total"),
            cx_connect_fail=get("upstream_cx_connect_fail"), cx_connect_timeout=get("upstream_cx_connect_timeout"),
            cx_none_healthy=get("upstream_cx_none_healthy"), rq_active=get("upstream_rq_active"), rq_total=get("upstream_rq_total"),
            rq_by_class=tuple(get(f"upstream_rq_{c}") for c in _STATUS_CLASSES),
            rq_timeout=get("upstream_rq_timeout"), rq_retry=get("upstream_rq_retry"),
            overflow=get("upstream_rq_pending_overflow") + get("upstream_cx_overflow") + get("upstream_rq_retry_overflow"),
            ssl_handshake=get("ssl.handshake"), ssl_errors=tuple(sorted(ssl_errors.get(name, ()))),
            ejections_active=get("outlier_detection.ejections_active"),
            ejections_total=get("outlier_detection.ejections_enforced_total"),
        ))
    return found


CLUSTER_COLUMNS = ["CLUSTER", "HEALTHY", "CX ACTIVE", "CX FAIL", "NO HEALTHY", "RQ TOTAL", "2XX", "3XX", "4XX", "5XX", "TIMEOUT",
                   "RETRY", "OVERFLOW", "TLS HANDSHAKES", "TLS ERRORS", "EJECTED"]


def cluster_table(clusters: list[ClusterStats], *, show_all: bool = False) -> Tabular:
    """The per-cluster table; EJECTED is active/total ejections, TLS ERRORS ``reason:count,...``."""
    rows = []
    for c in clusters:
        if not (show_all or c.active):
            continue
        rows.append([c.name, f"{c.healthy}/{c.members}", str(c.cx_active), str(c.cx_connect_fail), str(c.cx_none_healthy),
                     str(c.rq_total),
                     *(str(n) for n in c.rq_by_class), str(c.rq_timeout), str(c.rq_retry), str(c.overflow),
                     str(c.ssl_handshake), ",".join(f"{reason}:{n}" for reason, n in c.ssl_errors) or "-",
                     f"{c.ejections_active}/{c.ejections_total}"])
    return Tabular(CLUSTER_COLUMNS, rows, padding=3,
                   empty_msg="" if show_all else "No upstream cluster has seen traffic (--all lists every cluster).")


@dataclass(frozen=True)
class FilterStats:
    """Downstream requests and RBAC decisions under one stat prefix (an HCM or a network filter)."""

    prefix: str  # "http.inbound_0.0.0.0_9080", "tcp"
    http: bool
    rq_total: int
    rq_by_class: tuple[int, int, int, int]
    rbac_allowed: int
    rbac_denied: int
    shadow_allowed: int
    shadow_denied: int

    @property
    def active(self) -> bool:
        """Any request or RBAC decision (idle prefixes are left out of the short view)."""
        return bool(self.rq_total or self.rbac_allowed or self.rbac_denied or self.shadow_allowed or self.shadow_denied)


def filter_stats(stats: Stats) -> list[FilterStats]:
    """Per stat prefix: HTTP connection managers (``http.<prefix>.downstream_rq_*``) and RBAC filters."""
    prefixes: dict[str, bool] = {}
    rbac: dict[tuple[str, bool, str], int] = {}
    for name in stats:
        if m := _HCM_TOTAL.match(name):
            prefixes[f"http.{m['prefix']}"] = True
        elif m := _RBAC.match(name):
            prefixes.setdefault(m["prefix"], m["prefix"].startswith("http."))
            key = (m["prefix"], bool(m["shadow"]), m["decision"])
            rbac[key] = rbac.get(key, 0) + _int(stats, name)
    found = []
    for prefix in sorted(prefixes):
        http = prefixes[prefix]
        found.append(FilterStats(
            prefix=prefix, http=http, rq_total=_int(stats, f"{prefix}.downstream_rq_total"),
            rq_by_class=tuple(_int(stats, f"{prefix}.downstream_rq_{c}") for c in _STATUS_CLASSES),
            rbac_allowed=rbac.get((prefix, False, "allowed"), 0), rbac_denied=rbac.get((prefix, False, "denied"), 0),
            shadow_allowed=rbac.get((prefix, True, "allowed"), 0), shadow_denied=rbac.get((prefix, True, "denied"), 0),
        ))
    return found


FILTER_COLUMNS = ["STAT PREFIX", "RQ TOTAL", "2XX", "3XX", "4XX", "5XX", "RBAC ALLOWED", "RBAC DENIED",
                  "SHADOW ALLOWED", "SHADOW DENIED"]


def filter_table(filters: list[FilterStats], *, show_all: bool = False) -> Tabular:
    """The downstream table (``-`` for request counts of network filters, which see no requests)."""
    rows = []
    for f in filters:
        if not show_all and (f.prefix == ADMIN_PREFIX or not f.active):
            continue
        requests = [str(f.rq_total), *(str(n) for n in f.rq_by_class)] if f.http else ["-"] * 5
        rows.append([f.prefix, *requests, str(f.rbac_allowed), str(f.rbac_denied), str(f.shadow_allowed),
                     str(f.shadow_denied)])
    return Tabular(FILTER_COLUMNS, rows, padding=3,
                   empty_msg="" if show_all else "No listener has seen requests or RBAC decisions (--all lists every one).")


HOST_COLUMNS = ["CLUSTER", "ENDPOINT", "STATUS", "CX ACTIVE", "CX FAIL", "RQ ACTIVE", "RQ TOTAL", "RQ SUCCESS",
                "RQ ERROR", "RQ TIMEOUT", "SUCCESS RATE"]


def host_table(endpoints: list[EndpointView], *, show_all: bool = False) -> Tabular:
    """Per upstream host, from ``/clusters?format=json`` (``--type clusters``), in Envoy's order.

    SUCCESS RATE is the outlier detector's (``-`` until it has enough requests to compute one).
    """
    rows = []
    for ep in endpoints:
        counters = {str(s.get("name")): s.get("value", 0) for s in ep.raw.get("stats") or [] if isinstance(s, dict)}

        def get(name: str, counters: dict = counters) -> int:
            value = counters.get(name, 0)
            return int(value) if isinstance(value, (int, str)) and str(value).isdigit() else 0

        if not show_all and not (get("cx_total") or get("rq_total") or get("cx_connect_fail") or get("rq_error")):
            continue
        rate = (ep.raw.get("success_rate") or {}).get("value")
        status = ep.status + (" (ejected)" if ep.failed_outlier_check else "")
        endpoint = f"{ep.address}:{ep.port}" if ep.port else ep.address
        rows.append([ep.cluster, endpoint, status, str(get("cx_active")), str(get("cx_connect_fail")),
                     str(get("rq_active")), str(get("rq_total")), str(get("rq_success")), str(get("rq_error")),
                     str(get("rq_timeout")), f"{rate:g}%" if isinstance(rate, (int, float)) and rate >= 0 else "-"])
    return Tabular(HOST_COLUMNS, rows, padding=3,
                   empty_msg="" if show_all else "No upstream host has seen traffic (--all lists every host).")


def stats_document(stats: Stats) -> dict:
    """The short view as data: ``{"clusters": [...], "listeners": [...]}`` with every row (idle ones too)."""
    return {
        "clusters": [{"name": c.name, "healthy": c.healthy, "members": c.members, "cxActive": c.cx_active,
                      "cxTotal": c.cx_total, "cxConnectFail": c.cx_connect_fail,
                      "cxConnectTimeout": c.cx_connect_timeout, "cxNoneHealthy": c.cx_none_healthy, "rqActive": c.rq_active, "rqTotal": c.rq_total,
                      **{f"rq{cls.upper()}": n for cls, n in zip(_STATUS_CLASSES, c.rq_by_class)},
                      "rqTimeout": c.rq_timeout, "rqRetry": c.rq_retry, "overflow": c.overflow,
                      "tlsHandshakes": c.ssl_handshake, "tlsErrors": dict(c.ssl_errors),
                      "ejectionsActive": c.ejections_active, "ejectionsTotal": c.ejections_total}
                     for c in cluster_stats(stats)],
        "listeners": [{"statPrefix": f.prefix, "http": f.http, "rqTotal": f.rq_total,
                       **{f"rq{cls.upper()}": n for cls, n in zip(_STATUS_CLASSES, f.rq_by_class)},
                       "rbacAllowed": f.rbac_allowed, "rbacDenied": f.rbac_denied,
                       "shadowAllowed": f.shadow_allowed, "shadowDenied": f.shadow_denied}
                      for f in filter_stats(stats)],
    }
