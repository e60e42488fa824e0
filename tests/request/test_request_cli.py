"""`meshctl explain request` and `meshctl authz check` as a user runs them: files, snapshots,
formats, --query, exit codes, bad input."""

from __future__ import annotations

import json

import pytest
import yaml

from meshctl.archive import layout
from meshctl.archive.writer import SnapshotWriter, json_bytes
from meshctl.sandbox.resources import ROUTE

from helpers import ISTIO_TESTDATA, call_meshctl, require_shared, run_meshctl
from helpers.jsondocs import validate
from helpers.meshdata import CURL, CURL_PORT, SERVER, SLEEP, SLEEP_PORT, client_served, document, server_served

AUTHZ_DUMP = ISTIO_TESTDATA / "istioctl/pkg/authz/testdata/configdump.yaml"


@pytest.fixture(scope="module")
def dumps(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dumps")
    paths = {}
    for name, served, party in (("sleep", client_served(SLEEP), SLEEP), ("curl", client_served(CURL), CURL), ("httpbin", server_served(), SERVER)):
        paths[name] = folder / f"{name}.json"
        paths[name].write_text(json.dumps(document(served, party)))
    return paths


def explain(dumps, client, *args):
    port = SLEEP_PORT if client == "sleep" else CURL_PORT
    return call_meshctl("explain", "request", "-f", str(dumps[client]), f"httpbin:{port}", "--dst-file", str(dumps["httpbin"]), *args)


def test_allowed_request_exits_0_with_the_verdict_first(dumps):
    result = explain(dumps, "sleep", "--path", "/get")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"200-bound via outbound|{SLEEP_PORT}||httpbin.foo.svc.cluster.local -> 127.0.10.2:15080"
    assert "ALLOW: allowed by ns[foo]-policy[allow-first]-rule[0]" in result.stdout


def test_denied_request_exits_79(dumps):
    result = explain(dumps, "curl", "-X", "delete", "--path", "/get")
    assert result.exit_code == 79
    assert result.stdout.splitlines()[0] == "403 RBAC: denied by ns[foo]-policy[deny-delete]-rule[0]"


def test_json_yaml_and_query(dumps):
    document_ = json.loads(explain(dumps, "curl", "--path", "/admin", "-o", "json").stdout)
    validate(document_, "meshctl.request/v1")
    for args in (("sleep", "--path", "/api/v1/x"), ("sleep", "--path", "/get")):
        validate(json.loads(explain(dumps, *args, "-o", "json").stdout), "meshctl.request/v1")
    assert document_["status"] == 403 and document_["outcomes"][0]["policy"] == "ns[foo]-policy[deny-admin]-rule[0]"
    assert yaml.safe_load(explain(dumps, "curl", "--path", "/admin", "-o", "yaml").stdout) == document_
    queried = explain(dumps, "sleep", "--path", "/api/v1/x", "--query", "outcomes[].upstreamCluster")
    assert queried.exit_code == 0 and json.loads(queried.stdout) == [f"outbound|{SLEEP_PORT}|{s}|httpbin.foo.svc.cluster.local" for s in ("v1", "v2")]


def test_headers_and_authority(dumps):
    blocked = explain(dumps, "curl", "--path", "/get", "-H", "x-block=yes")
    assert blocked.exit_code == 79 and "deny-blocked" in blocked.stdout.splitlines()[0]
    wildcard = explain(dumps, "sleep", "-H", "host: x.example.com")
    assert wildcard.exit_code == 0 and "|v1|" in wildcard.stdout.splitlines()[0]
    unknown_host = explain(dumps, "sleep", "-H", "host=nope.example")
    assert unknown_host.exit_code == 79 and unknown_host.stdout.startswith("404 no route")


def test_control_characters_in_input_are_escaped(dumps):
    result = explain(dumps, "sleep", "-H", "host=evil\x1b[31m.example")
    assert "\x1b" not in result.stdout and "\\x1b[31m" in result.stdout


def test_without_dst_the_server_side_is_a_note(dumps):
    result = call_meshctl("explain", "request", "-f", str(dumps["curl"]), f"httpbin:{CURL_PORT}", "-X", "DELETE")
    assert result.exit_code == 0 and "DST's inbound side not checked" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--path", "get"), "--path must start with '/'"),
        (("-H", "novalue"), "is not NAME=VALUE"),
        (("-X", "GE T"), "is not an HTTP method"),
        (("--scheme", "ftp"), "--scheme must be http or https"),
        (("--dst-admin", "http://127.0.0.1:1"), "give only one of --dst-file, --dst-admin, --dst-pod"),
    ],
)
def test_usage_errors_exit_2_with_one_line(dumps, args, message):
    result = explain(dumps, "sleep", *args)
    assert result.exit_code == 2 and message in result.stderr


def test_bad_dumps_exit_65(dumps, tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    result = call_meshctl("explain", "request", "-f", str(junk), "httpbin:9080")
    assert result.exit_code == 65 and result.stderr.count("\n") == 1


def test_a_malformed_dump_is_exit_65_on_one_line(tmp_path):
    served = client_served(SLEEP)
    served[ROUTE][0]["virtual_hosts"][0]["routes"][0]["direct_response"]["status"] = ["not", "a", "code"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document(served, SLEEP)))
    result = call_meshctl("explain", "request", "-f", str(bad), f"httpbin:{SLEEP_PORT}", "--path", "/status/teapot")
    assert result.exit_code == 65 and result.stderr.count("\n") == 1 and "unexpected type" in result.stderr


def test_explain_request_from_a_snapshot(dumps, tmp_path):
    archive = tmp_path / "mesh.tar.gz"
    pods = {("sleep-1", "foo"): dumps["sleep"], ("curl-1", "bar"): dumps["curl"], ("httpbin-1", "foo"): dumps["httpbin"]}
    with SnapshotWriter(str(archive)) as writer:
        writer.add_bytes(layout.CONTEXT, json_bytes({"context": "test", "namespace": "foo"}))
        for name, namespace in pods:  # API objects first: a snapshot lists cluster/ members before pods/
            pod = {"metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
                   "spec": {"containers": [{"name": "istio-proxy"}]}, "status": {"phase": "Running"}}  # fmt: skip
            writer.add_bytes(layout.object_member("/api/v1", "pods", namespace, name), json_bytes(pod))
        for (name, namespace), path in pods.items():
            writer.add_bytes(layout.pod_member(namespace, name, "config_dump"), path.read_bytes())
        writer.add_bytes(layout.MANIFEST, json_bytes({"pods": {}}))
    result = call_meshctl("explain", "request", "curl-1.bar", f"httpbin:{CURL_PORT}", "--dst-pod", "httpbin-1.foo", "--path", "/admin", "--snapshot", str(archive))
    assert result.exit_code == 79, result.stderr
    assert result.stdout.splitlines()[0] == "403 RBAC: denied by ns[foo]-policy[deny-admin]-rule[0]"
    table = call_meshctl("authz", "check", "httpbin-1.foo", "--snapshot", str(archive))
    assert table.exit_code == 0 and "DENY     deny-admin.foo" in table.stdout


# --- authz check ---------------------------------------------------------------------------------------


def test_authz_check_prints_istioctls_table():
    result = call_meshctl("authz", "check", "-f", str(require_shared(AUTHZ_DUMP)))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "ACTION   AuthorizationPolicy         RULES\n"
        "ALLOW    _anonymous_match_nothing_   1\n"
        "ALLOW    httpbin.default             1\n"
        "CUSTOM   ext-authz.default           1\n"
    )


def test_authz_check_wide_json_and_query(dumps):
    wide = call_meshctl("authz", "check", "-f", str(dumps["httpbin"]), "-o", "wide")
    assert wide.exit_code == 0 and wide.stdout.splitlines()[0].split()[3:] == ["LISTENER[CHAINS]", "PRINCIPALS", "NAMESPACES", "PATHS", "METHODS", "PORTS"]
    names = call_meshctl("authz", "check", "-f", str(dumps["httpbin"]), "--query", "policies[?action=='DENY'].name")
    assert json.loads(names.stdout) == ["deny-admin.foo", "deny-blocked.foo", "deny-delete.foo", "deny-tcp-from-other.foo"]  # network RBAC too
    as_yaml = yaml.safe_load(call_meshctl("authz", "check", "-f", str(dumps["httpbin"]), "-o", "yaml").stdout)
    validate(as_yaml, "meshctl.authz/v1")
    assert {p["name"] for p in as_yaml["policies"]} >= {"allow-reads.foo", "ext.foo"}


def test_authz_check_inputs(dumps, tmp_path):
    assert call_meshctl("authz", "check").exit_code == 2
    no_listeners = tmp_path / "clusters.json"
    no_listeners.write_text(json.dumps({"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump"}]}))
    result = call_meshctl("authz", "check", "-f", str(no_listeners))
    assert result.exit_code == 65 and "ListenersConfigDump" in result.stderr
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump"}]}))
    quiet = call_meshctl("authz", "check", "-f", str(empty))
    assert quiet.exit_code == 0 and quiet.stdout == "" and "no active dynamic listeners" in quiet.stderr
    missing = call_meshctl("authz", "check", "-f", str(tmp_path / "missing.json"))
    assert missing.exit_code == 66 and "does not exist" in missing.stderr


# --- on the sandbox mesh (real Envoys) -----------------------------------------------------------------


@pytest.mark.envoy
@pytest.mark.kube
def test_pods_through_the_fake_api_server(mesh, fake_kube):
    """explain request and authz check on pods (port-forward to each pod's real Envoy)."""
    from fakekube.builders import istio_pod

    pods = {"sleep": ("sleep-6d8f7b9c5-x2v4p", "foo"), "curl": ("curl-6d8f7b9c5-x2v4p", "bar")}
    for name, (pod, namespace) in pods.items():
        fake_kube.add(istio_pod(pod, namespace))
        fake_kube.back_sidecar(("127.0.0.1", mesh.clients[name].admin_port), pod=pod, namespace=namespace)
    fake_kube.add(istio_pod("httpbin-6d8f7b9c5-x2v4p", "foo"))
    fake_kube.back_sidecar(("127.0.0.1", mesh.server.admin_port), pod="httpbin-6d8f7b9c5-x2v4p", namespace="foo")
    kube = ("--kubeconfig", str(fake_kube.kubeconfig_path))
    port = mesh.ports["curl"]
    denied = call_meshctl("explain", "request", "curl-6d8f7b9c5-x2v4p.bar", f"httpbin:{port}", "--dst-pod", "httpbin-6d8f7b9c5-x2v4p.foo",
                          "--path", "/admin", *kube)  # fmt: skip
    assert denied.exit_code == 79, denied.stderr
    assert denied.stdout.splitlines()[0] == "403 RBAC: denied by ns[foo]-policy[deny-admin]-rule[0]"
    assert mesh.send("curl", "GET", "/admin").status == 403  # and Envoy agrees
    table = call_meshctl("authz", "check", "httpbin-6d8f7b9c5-x2v4p", "-n", "foo", *kube)
    assert table.exit_code == 0 and table.stdout.splitlines()[1] == "DENY     deny-admin.foo              1"


@pytest.mark.envoy
def test_sandbox_mesh_command_runs_commands_against_the_three_proxies():
    result = run_meshctl("sandbox", "--mesh", "--for", "60", "--run",
                         'meshctl explain request --src-admin "$MESHCTL_SLEEP_ADMIN" "httpbin:$MESHCTL_SLEEP_PORT" '
                         '--dst-admin "$MESHCTL_SERVER_ADMIN" --path /private/x -o json --query status', timeout=90)  # fmt: skip
    assert result.exit_code == 79, result.stderr  # the --run command's own status: the request is denied
    assert result.stdout.strip() == "403"
    assert "meshctl sandbox --mesh: 3 Envoys LIVE" in result.stderr
