"""`explain mtls` over real Istio EDS (istioctl's endpoint testdata in ../shared): endpoint metadata
as istiod writes it, with clusters shaped like istiod's auto-mTLS clusters added around it."""

from __future__ import annotations

import json

from meshctl.analyze.mtls import VERDICT_MTLS, VERDICT_PLAINTEXT, Destination, explain_mtls

from helpers import ISTIO_TESTDATA, require_shared
from helpers.mtlsdata import auto_mtls_cluster, istio_secrets, make_dump

EDS_DUMP = ISTIO_TESTDATA / "istioctl/pkg/writer/envoy/configdump/testdata/endpoint/configdump.json"


def istio_eds() -> list[dict]:
    document = json.loads(require_shared(EDS_DUMP).read_text())
    (section,) = [c for c in document["configs"] if c["@type"].endswith("EndpointsConfigDump")]
    return [entry["endpoint_config"] for entry in section["dynamic_endpoint_configs"]]


def explain(host: str, port: int):
    eds = istio_eds()
    src = make_dump(clusters=(auto_mtls_cluster(host, port),), assignments=eds, secrets=istio_secrets())
    return explain_mtls(src, Destination(f"{host}:{port}", host, port)), eds


def test_sidecar_endpoints_from_istio_eds_get_mtls():
    result, eds = explain("reviews.default.svc.cluster.local", 9080)
    (assignment,) = [a for a in eds if a["cluster_name"] == "outbound|9080||reviews.default.svc.cluster.local"]
    addresses = [f"{e['endpoint']['address']['socket_address']['address']}:{e['endpoint']['address']['socket_address']['port_value']}"
                 for group in assignment["endpoints"] for e in group["lb_endpoints"]]  # fmt: skip
    assert [e.address for e in result.paths[0].endpoints] == addresses
    assert {e.selected_match for e in result.paths[0].endpoints} == {"tlsMode-istio"}
    assert result.verdict == VERDICT_MTLS


def test_endpoints_outside_the_mesh_from_istio_eds_are_plaintext():
    # The API server's endpoints have no sidecar, so istiod gives them no tlsMode.
    result, _ = explain("kubernetes.default.svc.cluster.local", 443)
    assert result.paths[0].endpoints
    assert {e.selected_match for e in result.paths[0].endpoints} == {"tlsMode-disabled"}
    assert result.verdict == VERDICT_PLAINTEXT
