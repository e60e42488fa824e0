"""The full row order of `pc cluster` on a dump with several ports and subsets per service.

istioctl/pkg/writer/envoy/configdump/cluster.go retrieveSortedClusterSlice sorts with

    iDirection, iSubset, iName, iPort := safelyParseSubsetKey(clusters[i].Name)
    ...
    if iName == jName { if iSubset == jSubset { if iPort == jPort { return iDirection < jDirection }
                                                return iPort < jPort }
                        return iSubset < jSubset }
    return iName < jName

so the key is (FQDN, subset, port as an int, direction), strings compared bytewise. safelyParseSubsetKey
parses names with more than three "|"-separated parts (model.ParseSubsetKey, "dir|port|subset|fqdn");
any other name is its own FQDN with subset "", port 0 and direction "". From that, by hand:

- the FQDNs, bytewise: "" (inbound|9080||) < "BlackHoleCluster" < "InboundPassthroughCluster" <
  "PassthroughCluster" < "agent" < "istiod..." < "outbound_.9080_.v2_.ratings..." (no "|": its whole
  name) < "outbound|9080|reviews" (two "|" only: its whole name too) < "prometheus_stats" < "ratings..." < "reviews..." < "sds-grpc" < "xds-grpc";
- istiod: ports as numbers, 443 before 15010 (as strings "15010" would come first);
- ratings: inbound before outbound on the same port and subset (direction, bytewise), then v1;
- reviews: subset before port: "" (80, 9080), v1 (443, then 9080 inbound before 9080 outbound),
  v10 (8080), v2 (80 inbound, 80 outbound, 9080). Port before subset would give 80, 80/v2, 443/v1,
  8080, 9080, ...

No two names here share a key, so every correct sort gives this order (ties are tests/pc/test_gosort.py's).
"""

from __future__ import annotations

import json

from helpers import call_meshctl

REVIEWS = "reviews.default.svc.cluster.local"
RATINGS = "ratings.default.svc.cluster.local"
ISTIOD = "istiod.istio-system.svc.cluster.local"

# (cluster name, type), in istioctl's order as derived above
EXPECTED = [
    ("inbound|9080||", "STATIC"),
    ("BlackHoleCluster", "STATIC"),
    ("InboundPassthroughCluster", "ORIGINAL_DST"),
    ("PassthroughCluster", "ORIGINAL_DST"),
    ("agent", "STATIC"),
    (f"outbound|443||{ISTIOD}", "EDS"),
    (f"outbound|15010||{ISTIOD}", "EDS"),
    (f"outbound_.9080_.v2_.{RATINGS}", "EDS"),
    ("outbound|9080|reviews", "EDS"),
    ("prometheus_stats", "STATIC"),
    (f"inbound|9080||{RATINGS}", "STATIC"),
    (f"outbound|9080||{RATINGS}", "EDS"),
    (f"outbound|9080|v1|{RATINGS}", "EDS"),
    (f"outbound|80||{REVIEWS}", "EDS"),
    (f"outbound|9080||{REVIEWS}", "EDS"),
    (f"outbound|443|v1|{REVIEWS}", "EDS"),
    (f"inbound|9080|v1|{REVIEWS}", "STATIC"),
    (f"outbound|9080|v1|{REVIEWS}", "EDS"),
    (f"outbound|8080|v10|{REVIEWS}", "EDS"),
    (f"inbound|80|v2|{REVIEWS}", "STATIC"),
    (f"outbound|80|v2|{REVIEWS}", "EDS"),
    (f"outbound|9080|v2|{REVIEWS}", "EDS"),
    ("sds-grpc", "STATIC"),
    ("xds-grpc", "STRICT_DNS"),
]
COLUMNS = ["SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION RULE"]


def _dump() -> bytes:
    # Envoy lists dynamic clusters in hash order: feed them in an order unlike the sorted one.
    shuffled = EXPECTED[1::2][::-1] + EXPECTED[::2]
    static = [(name, kind) for name, kind in shuffled if "|" not in name and "_." not in name]
    dynamic = [(name, kind) for name, kind in shuffled if (name, kind) not in static]
    cluster = lambda name, kind: {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": name, "type": kind}  # noqa: E731
    section = {
        "@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
        "static_clusters": [{"cluster": cluster(*c)} for c in static],
        "dynamic_active_clusters": [{"version_info": "1", "cluster": cluster(*c)} for c in dynamic],
    }
    return json.dumps({"configs": [section]}).encode()


def _cells(table: str) -> list[list[str]]:
    header, *lines = table.splitlines()
    starts = [header.index(column) for column in COLUMNS]
    return [[line[a:b].strip() for a, b in zip(starts, [*starts[1:], None])] for line in lines]


def _row(name: str, kind: str) -> list[str]:
    if name.count("|") < 3:  # not a subset key: the name is the FQDN
        return [name, "-", "-", "-", kind, ""]
    direction, port, subset, fqdn = name.split("|")
    return [fqdn, port, subset or "-", direction, kind, ""]


def test_cluster_table_rows_come_in_istioctls_order():
    result = call_meshctl("pc", "cluster", "-f", "-", stdin=_dump())
    assert (result.exit_code, result.stderr) == (0, "")
    assert _cells(result.stdout) == [_row(*c) for c in EXPECTED]


def test_cluster_json_and_pc_all_use_the_same_order():
    as_json = call_meshctl("pc", "cluster", "-f", "-", "-o", "json", stdin=_dump())
    assert [c["name"] for c in json.loads(as_json.stdout)] == [name for name, _ in EXPECTED]
    whole = call_meshctl("pc", "all", "-f", "-", stdin=_dump())
    named = [line.split()[0] for line in whole.stdout.splitlines() if line.startswith("cluster/")]
    assert named == [f"cluster/{name}" for name, _ in EXPECTED]
