"""istioctl's ztunnel writers, branch by branch: the expected text is derived from the Go source
(istioctl/pkg/writer/ztunnel/configdump/*.go), as noted on each test."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from meshctl.analyze import ztunnel as views
from meshctl.decode.ztunnel import parse
from meshctl.model.tabular import Sections
from meshctl.render.console import Terminal
from meshctl.render.data import to_json, to_yaml
from meshctl.render.table import render_sections
from meshctl.render.text import render_tabular

NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)

DUMP = {
    "workloads": [
        {"uid": "K//Pod/b/zeta", "name": "zeta", "namespace": "b", "workloadIps": ["10.0.0.2"], "node": "n2",
         "protocol": "HBONE", "status": "Healthy", "waypoint": {"destination": "b/wp.b.svc.cluster.local"}},
        {"uid": "K//Pod/a/alpha", "name": "alpha", "namespace": "a", "workloadIps": ["10.0.0.1", "fd00::1"],
         "node": "n1", "protocol": "TCP", "status": "Unhealthy"},
        {"uid": "K//Pod/a/alpha2", "name": "alpha", "namespace": "a", "workloadIps": ["10.0.0.9"], "node": "n0",
         "protocol": "TCP", "status": "Healthy"},
        {"uid": "K//WorkloadEntry/a/vm", "name": "vm", "namespace": "a", "hostname": "vm.example.com",
         "node": "", "protocol": "TCP", "waypoint": {"destination": "/10.9.9.9"}},
    ],
    "services": [
        {"name": "wp", "namespace": "b", "hostname": "wp.b.svc.cluster.local", "vips": ["net/10.96.0.5"],
         "endpoints": {"x": {"workloadUid": "K//Pod/b/zeta"}}},
        {"name": "api", "namespace": "a", "hostname": "api.a.svc.cluster.local", "vips": ["/10.96.0.1", "10.96.0.2"],
         "waypoint": {"destination": "net/10.96.0.5"},
         "endpoints": {"1": {"workloadUid": "K//Pod/a/alpha"}, "2": {"workloadUid": "K//Pod/a/alpha2"},
                       "3": {"workloadUid": "gone"}}},
        {"name": "headless", "namespace": "a", "hostname": "headless.a.svc.cluster.local", "vips": [],
         "waypoint": {"destination": "/10.96.0.5"}},
    ],
    "policies": [
        {"name": "z", "namespace": "b", "action": "Deny", "scope": "Namespace"},
        {"name": "a", "namespace": "B", "action": "Allow", "scope": "Global"},
    ],
    "certificates": [
        {"identity": "spiffe://td/ns/a/sa/legacy", "state": "Available", "certChain": [
            {"serialNumber": "255", "validFrom": "2025-01-01T00:00:00Z", "expirationTime": "2026-01-01T00:00:00Z"},
            {"serialNumber": "16", "validFrom": "2025-01-01T00:00:00+02:00", "expirationTime": "2025-05-31T23:59:59.5Z"},
            {"serialNumber": "x1", "validFrom": "2025-01-01", "expirationTime": "2030-01-01T00:00:00Z"}]},
        {"identity": "spiffe://td/ns/a/sa/new", "state": "Available", "certChain": [
            {"serialNumber": "-10", "validFrom": "2025-01-01T00:00:00Z", "expirationTime": "2026-01-01T00:00:00Z"}],
         "rootCerts": [{"serialNumber": "0", "validFrom": "", "expirationTime": ""}]},
    ],
    "workloadState": {
        "u2": {"info": {"name": "zeta", "namespace": "b"}, "connections": {
            "inbound": [{"src": "[fd00::1]:5000", "actualDst": "10.0.0.2:80", "originalDst": "api.a", "protocol": "HBONE"}],
            "outbound": [{"src": "10.0.0.2:4000", "actualDst": "10.96.0.1:80", "originalDst": "10.96.0.2:80", "protocol": "TCP"}]}},
        "u1": {"info": {"name": "alpha", "namespace": "a"}, "connections": {
            "outbound": [{"src": "10.0.0.1:1", "actualDst": "10.0.0.2", "originalDst": "[10.0.0.2]:80", "protocol": "TCP"}]}},
    },
}


@pytest.fixture(scope="module")
def dump():
    return parse(json.dumps(DUMP).encode())


def _text(table) -> str:
    return render_tabular(table)


def test_workloads_sort_by_namespace_dot_name_then_node_and_fall_back_to_hostname(dump):
    # workload.go: sort "ns.name" then node; ADDRESS joins workloadIps, else Hostname; waypointName
    # matches "namespace/hostname" or a VIP, "None" without a waypoint, "NA" when nothing matches.
    assert _text(views.workload_table(dump, views.WorkloadFilter())) == (
        "NAMESPACE POD NAME ADDRESS          NODE WAYPOINT PROTOCOL\n"
        "a         alpha    10.0.0.9         n0   None     TCP\n"
        "a         alpha    10.0.0.1,fd00::1 n1   None     TCP\n"
        "a         vm       vm.example.com        NA       TCP\n"
        "b         zeta     10.0.0.2         n2   wp       HBONE\n"
    )


@pytest.mark.parametrize(("flt", "names"), [
    (views.WorkloadFilter(address="FD00::1"), ["alpha"]),  # EqualFold on each workload IP
    (views.WorkloadFilter(node="N2"), ["zeta"]),
    (views.WorkloadFilter(namespace="A"), ["alpha", "alpha", "vm"]),
    (views.WorkloadFilter(name="ALPHA", namespace="a", node="n0"), ["alpha"]),
    (views.WorkloadFilter(address="10.0.0.3"), []),
])
def test_workload_filter(dump, flt, names):
    assert [w.name for w in views.sorted_workloads(dump, flt)] == names


def test_workload_json_keeps_dump_order_and_an_empty_result_is_an_empty_list(dump):
    # PrintWorkloadDump: no sort; `filteredWorkloads := []*ZtunnelWorkload{}` prints [] when empty.
    assert [w["name"] for w in views.workload_document(dump, views.WorkloadFilter(namespace="a"))] == ["alpha", "alpha", "vm"]
    assert to_json(views.workload_document(dump, views.WorkloadFilter(node="none"))) == "[]\n"


def test_services_show_vips_without_network_and_healthy_endpoints(dump):
    # services.go: strings.Cut(vip, "/") keeps what follows the first "/" ("" when there is none);
    # ENDPOINTS counts endpoints whose workload (by uid) is Healthy, over all endpoints. A waypoint
    # address compares with VIPs exactly, network included ("/10.96.0.5" is not "net/10.96.0.5").
    assert _text(views.service_table(dump, views.NamespaceFilter())) == (
        "NAMESPACE SERVICE NAME SERVICE VIP WAYPOINT ENDPOINTS\n"
        "a         api          10.96.0.1,  wp       1/3\n"
        "a         headless                 NA       0/0\n"
        "b         wp           10.96.0.5   None     1/1\n"
    )


def test_policies_sort_by_namespace_then_name_and_filter_case_insensitively(dump):
    assert _text(views.policy_table(dump, views.NamespaceFilter("b"))) == (
        "NAMESPACE POLICY NAME ACTION SCOPE\n"
        "B         a           Allow  Global\n"
        "b         z           Deny   Namespace\n"
    )
    assert [p["name"] for p in views.policy_document(dump, views.NamespaceFilter("A"))] == []


def test_certificates_types_serials_and_validity(dump):
    # certificates.go: without rootCerts (legacy) the chain's last certificate is the Root; serials
    # are big.Int %x ("<nil>" when not decimal); VALID CERT is now strictly inside the validity,
    # false when a timestamp does not parse (RFC3339 only) or both are empty; "" shows as NA.
    problems: list[str] = []
    assert _text(views.certificate_table(dump, NOW, problems)) == (
        "CERTIFICATE NAME               TYPE             STATUS        VALID CERT     SERIAL NUMBER     NOT AFTER                  NOT BEFORE\n"
        "spiffe://td/ns/a/sa/legacy     Leaf             Available     true           ff                2026-01-01T00:00:00Z       2025-01-01T00:00:00Z\n"
        "spiffe://td/ns/a/sa/legacy     Intermediate     Available     false          10                2025-05-31T23:59:59.5Z     2025-01-01T00:00:00+02:00\n"
        "spiffe://td/ns/a/sa/legacy     Root             Available     false          <nil>             2030-01-01T00:00:00Z       2025-01-01\n"
        "spiffe://td/ns/a/sa/new        Leaf             Available     true           -a                2026-01-01T00:00:00Z       2025-01-01T00:00:00Z\n"
        "spiffe://td/ns/a/sa/new        Root             Available     false          0                 NA                         NA\n"
    )
    assert problems == ["certificate timestamp (2025-01-01) could not be parsed"]


def test_certificate_json_is_null_without_certificates():
    assert to_json(views.certificate_document(parse(b'{"workloads": []}'))) == "null\n"


def test_connections_name_addresses_after_services_and_workloads(dump):
    # connections.go: a service is named by its first VIP's IP, a workload by its first IP; inbound
    # REMOTE TARGET is originalDst as is, outbound names it too; states sort by namespace, name.
    assert _text(views.connections_table(dump, views.ConnectionsFilter())) == (
        "WORKLOAD DIRECTION LOCAL       REMOTE                     REMOTE TARGET PROTOCOL\n"
        "alpha.a  Outbound  alpha.a:1   10.0.0.2                   zeta.b:80     TCP\n"
        "zeta.b   Inbound   zeta.b:80   [fd00::1]:5000             api.a         HBONE\n"
        "zeta.b   Outbound  zeta.b:4000 api.a.svc.cluster.local:80 10.96.0.2:80  TCP\n"
    )


def test_connections_raw_direction_and_workload_filters(dump):
    raw = _text(views.connections_table(dump, views.ConnectionsFilter(raw=True, direction="inbound")))
    assert raw.splitlines()[1:] == ["zeta.b   Inbound   10.0.0.2:80 [fd00::1]:5000 api.a         HBONE"]
    # "name.namespace" splits when no namespace is given (normalize); the name compares EqualFold.
    only = views.connections_table(dump, views.ConnectionsFilter(workload="ZETA.b", direction="outbound"))
    assert [row[:2] for row in only.rows] == [["zeta.b", "Outbound"]]
    assert views.connections_table(dump, views.ConnectionsFilter(namespace="B")).rows == []  # namespace: exact
    assert [s["info"]["name"] for s in views.connections_document(dump, views.ConnectionsFilter())] == ["alpha", "zeta"]


@pytest.mark.parametrize(("address", "expected"), [
    ("10.0.0.1:80", ("10.0.0.1", "80")),
    ("[fd00::1]:80", ("fd00::1", "80")),
    ("fd00::1", ("", "")),  # too many colons
    ("10.0.0.1", ("", "")),  # missing port
    ("[fd00::1]", ("", "")),
    ("[a]b:80", ("", "")),
    ("a]:80", ("", "")),
    ("host:", ("host", "")),
])
def test_split_host_port_is_gos(address, expected):
    assert views.split_host_port(address) == expected


def test_all_with_headers(dump):
    # configdump.go PrintFullSummary: "\n", then "------ TITLE ------\n\n" and each table.
    text = "\n" + render_sections(Sections(views.full_tables(dump, NOW), with_headers=True), Terminal())
    assert text.startswith("\n------ WORKLOAD INFO ------\n\nNAMESPACE POD NAME")
    titles = [line for line in text.splitlines() if line.startswith("------")]
    assert titles == [f"------ {t} INFO ------" for t in ("WORKLOAD", "SERVICE", "POLICY", "SECRET", "CONNECTIONS")]


def test_empty_dump_prints_headers_only():
    empty = parse(b'{"workloads": [], "services": [], "policies": [], "certificates": [], "workloadState": {}}')
    assert _text(views.workload_table(empty, views.WorkloadFilter())) == "NAMESPACE POD NAME ADDRESS NODE WAYPOINT PROTOCOL\n"
    # JSONToYAML("[]") is "[]\n", and istioctl prints it with Fprintln.
    assert to_yaml(views.service_document(empty, views.NamespaceFilter())) == "[]\n\n"


def test_cells_with_control_characters_are_escaped():
    hostile = parse(json.dumps({"workloads": [{"name": "evil\x1b[31m\tx", "namespace": "ns"}]}).encode())
    row = views.workload_table(hostile, views.WorkloadFilter()).rows[0]
    assert row[1] == "evil\\x1b[31m\\tx"


@pytest.mark.parametrize(("level", "reset", "path"), [
    ("", False, "logging?level="),  # no --level: ztunnel answers the current level
    ("warning", False, "logging?level=warn"),
    ("critical", False, "logging?level=error"),
    ("access:debug,info", False, "logging?level=access:debug,info"),
    ("warning,access=warning", False, "logging?level=warning,access=warning"),  # only a lone level is renamed
    ("ns::proxy:trace", False, "logging?level=ns::proxy:trace"),
    ("", True, "logging?level=info&reset"),
])
def test_log_query_is_istioctls(level, reset, path):
    assert views.log_query(level, reset) == path


@pytest.mark.parametrize(("level", "reset", "message"), [
    ("loud", False, "unrecognized logging level: loud"),
    ("access:loud", False, "unrecognized logging level: loud"),
    ("access:", False, "unrecognized logging level: "),
    ("debug", True, "--level cannot be combined with --reset"),
])
def test_log_query_rejects_what_istioctl_rejects(level, reset, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        views.log_query(level, reset)
