"""`pc log` and `pc stats` against the real Envoy: levels really change (read back from Envoy
itself), and counters move with real requests through it. Through --admin, through pods of the fake
cluster (port-forward, and exec when port-forward is refused), for many pods, and from a snapshot."""

from __future__ import annotations

import http.server
import json
import re
import threading
import urllib.error
import urllib.request

import pytest

from fakekube import istio_pod
from helpers import call_meshctl, start_rig
from helpers.jsondocs import validate

pytestmark = pytest.mark.envoy  # and kube on the tests with pods

NS = "bookinfo"


@pytest.fixture(scope="module")
def rig():
    """A rig for this module only: its log levels are changed, a traffic path is added."""
    with start_rig(max_seconds=600) as own:
        yield own


def envoy_levels(rig) -> dict[str, str]:
    """The levels Envoy itself reports (POST /logging without a query: a read)."""
    request = urllib.request.Request(f"{rig.admin_url}/logging", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    return dict(re.findall(r"^  (\S+): (\S+)$", text, re.M))


def set_envoy_level(rig, query: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{rig.admin_url}/logging?{query}", method="POST"), timeout=10).read()


@pytest.fixture
def fresh_levels(rig):
    """Envoy back at the sandbox's start-up levels (warning, misc:error) before and after a test."""
    set_envoy_level(rig, "level=warning")
    set_envoy_level(rig, "misc=error")
    yield
    set_envoy_level(rig, "level=warning")
    set_envoy_level(rig, "misc=error")


def meshctl(*args: str):
    result = call_meshctl(*args)
    assert result.exit_code == 0, result
    return result


def test_levels_change_over_admin_and_the_answer_is_envoys(rig, fresh_levels):
    shown = meshctl("pc", "log", "--admin", rig.admin_url, "--level", "http:debug,rbac:trace")

    levels = envoy_levels(rig)
    assert (levels["http"], levels["rbac"], levels["misc"], levels["admin"]) == ("debug", "trace", "error", "warning")
    assert shown.stdout.startswith("active loggers:\n")
    assert dict(re.findall(r"^  (\S+): (\S+)$", shown.stdout, re.M)) == levels


def test_one_level_for_every_logger_then_reset_to_istioctls_default(rig, fresh_levels):
    meshctl("pc", "log", "--admin", rig.admin_url, "--level", "debug")
    after_all = envoy_levels(rig)
    reset = meshctl("pc", "log", "--admin", rig.admin_url, "-r")

    assert set(after_all.values()) == {"debug"}
    # --admin knows no pod: istioctl's default, warning, for every logger (misc too)
    assert set(envoy_levels(rig).values()) == {"warning"}
    assert "istioctl's default (warning)" in reset.stderr


def test_a_logger_envoy_lacks_is_refused_before_any_change(rig, fresh_levels):
    result = call_meshctl("pc", "log", "--admin", rig.admin_url, "--level", "http:debug,nosuch:debug")

    assert (result.exit_code, result.stderr) == (2, "meshctl: error: unrecognized logger name: nosuch\n")
    assert envoy_levels(rig)["http"] == "warning"


@pytest.fixture
def pods(fake_kube, rig):
    """Two sidecars in the fake cluster, both backed by the rig's Envoy."""
    fake_kube.add(istio_pod("reviews-v1-abc", NS), istio_pod("ratings-v1-abc", NS))
    fake_kube.back_sidecar(("127.0.0.1", rig.admin_port), run_dir=rig.run_dir)
    return fake_kube


def kube_meshctl(kube, *args: str):
    return meshctl(*args, "--kubeconfig", str(kube.kubeconfig_path))


@pytest.mark.kube
def test_pod_levels_over_port_forward_and_reset_to_the_sidecars_start_up_levels(pods, rig, fresh_levels):
    changed = kube_meshctl(pods, "pc", "log", f"reviews-v1-abc.{NS}", "--level", "misc:debug,upstream:info")
    during = envoy_levels(rig)
    reset = kube_meshctl(pods, "pc", "log", f"reviews-v1-abc.{NS}", "-r")

    assert changed.stdout.startswith(f"reviews-v1-abc.{NS}:\nactive loggers:\n")
    assert (during["misc"], during["upstream"]) == ("debug", "info")
    # the pod's istio-proxy runs with --proxyLogLevel=warning --proxyComponentLogLevel=misc:error
    after = envoy_levels(rig)
    assert (after["misc"], after["upstream"], after["http"]) == ("error", "warning", "warning")
    assert "the pod's istio-proxy arguments" in reset.stderr
    forwarded = [r for r in pods.requests_for(subresource="portforward")]
    assert forwarded and not pods.requests_for(subresource="exec")


@pytest.mark.kube
def test_pod_levels_over_exec_when_port_forward_is_refused(pods, rig, fresh_levels):
    pods.refuse_port_forward("upgrade")

    kube_meshctl(pods, "pc", "log", f"ratings-v1-abc.{NS}", "--level", "http:trace")

    assert envoy_levels(rig)["http"] == "trace"
    posts = [r for r in pods.requests_for(subresource="exec")]
    assert posts  # pilot-agent request POST logging?http=trace


@pytest.mark.kube
def test_many_pods_each_with_istioctls_header(pods, rig, fresh_levels):
    out = kube_meshctl(pods, "pc", "log", "-n", NS, "--level", "jwt:debug").stdout

    headers = [line for line in out.splitlines() if line.endswith(":") and not line.startswith(" ")]
    assert headers == [f"ratings-v1-abc.{NS}:", "active loggers:", f"reviews-v1-abc.{NS}:", "active loggers:"]
    assert envoy_levels(rig)["jwt"] == "debug"
    as_json = json.loads(kube_meshctl(pods, "pc", "log", "-n", NS, "-o", "json").stdout)
    assert [item["pod"] for item in as_json["items"]] == [f"ratings-v1-abc.{NS}", f"reviews-v1-abc.{NS}"]
    validate(as_json, "meshctl.pods/v1")
    for item in as_json["items"]:
        validate(item["result"], "meshctl.log/v1")
    assert as_json["items"][0]["result"]["loggers"]["jwt"] == "debug"


@pytest.fixture(scope="module")
def upstream():
    """A local HTTP server: 503 for /fail*, 200 otherwise."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            code = 503 if self.path.startswith("/fail") else 200
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture(scope="module")
def traffic_port(rig, upstream):
    return rig.add_traffic_path(upstream)


def send(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def stats_rows(out: str) -> dict[str, dict[str, str]]:
    """First cell -> {column: cell} for every table in `out` (columns are 3+ spaces apart)."""
    rows, header = {}, None
    for line in out.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if not line.strip():
            header = None
        elif header is None:
            header = cells
        else:
            rows[cells[0]] = dict(zip(header, cells))
    return rows


ECHO = "outbound|8080||echo.default.svc.cluster.local"
PREFIX = "http.inbound_0.0.0.0_8080"


def test_counters_move_with_real_requests(rig, traffic_port):
    before = stats_rows(meshctl("pc", "stats", "--admin", rig.admin_url, "--all").stdout)
    codes = [send(traffic_port, path) for path in ["/ok"] * 4 + ["/fail"] * 3 + ["/admin/x"] * 2]
    after = stats_rows(meshctl("pc", "stats", "--admin", rig.admin_url).stdout)

    def moved(row: str, column: str) -> int:
        return int(after[row][column]) - int(before[row][column])

    assert codes == [200] * 4 + [503] * 3 + [403] * 2
    # upstream: the 7 requests RBAC let through, by status class
    assert [moved(ECHO, c) for c in ("RQ TOTAL", "2XX", "4XX", "5XX", "CX FAIL")] == [7, 4, 0, 3, 0]
    # downstream: all 9, the 2 that RBAC denied answered 403 by Envoy itself
    assert [moved(PREFIX, c) for c in ("RQ TOTAL", "2XX", "4XX", "5XX", "RBAC ALLOWED", "RBAC DENIED")] == [9, 4, 2, 3, 7, 2]


@pytest.mark.kube
def test_stats_through_a_pod_raw_json_and_hosts(pods, rig, traffic_port):
    send(traffic_port, "/ok")

    short = kube_meshctl(pods, "pc", "stats", f"reviews-v1-abc.{NS}").stdout
    raw = kube_meshctl(pods, "pc", "envoy-stats", f"reviews-v1-abc.{NS}", "-o", "raw").stdout
    as_json = json.loads(kube_meshctl(pods, "pc", "es", f"reviews-v1-abc.{NS}", "-o", "json").stdout)
    hosts = stats_rows(kube_meshctl(pods, "pc", "stats", f"reviews-v1-abc.{NS}", "--type", "clusters").stdout)

    assert ECHO in short and PREFIX in short
    assert raw.startswith("\nThe result of pod reviews-v1-abc:\n\n")  # istioctl printStatus
    assert f"cluster.{ECHO}.upstream_rq_total: " in raw
    counters = {s["name"]: s.get("value") for s in as_json["stats"] if "name" in s}
    assert counters[f"cluster.{ECHO}.upstream_rq_2xx"] >= 1
    assert hosts[ECHO]["ENDPOINT"] == f"127.0.0.1:{rig_upstream_port(rig)}" and int(hosts[ECHO]["RQ TOTAL"]) >= 1


def rig_upstream_port(rig) -> int:
    """The echo cluster's endpoint port, as Envoy reports it."""
    with urllib.request.urlopen(f"{rig.admin_url}/clusters?format=json", timeout=10) as response:
        statuses = json.load(response)["cluster_statuses"]
    echo = next(c for c in statuses if c["name"] == ECHO)
    return echo["host_statuses"][0]["address"]["socket_address"]["port_value"]


@pytest.mark.kube
def test_log_and_stats_from_a_snapshot(pods, rig, traffic_port, tmp_path, fresh_levels):
    set_envoy_level(rig, "rbac=debug")
    send(traffic_port, "/ok")
    archive = str(tmp_path / "mesh.tar.gz")
    kube_meshctl(pods, "snapshot", "-n", NS, "-o", archive)
    live_stats = kube_meshctl(pods, "pc", "stats", f"reviews-v1-abc.{NS}", "-o", "json")
    pods.clear_requests()

    levels = call_meshctl("pc", "log", f"reviews-v1-abc.{NS}", "--snapshot", archive)
    change = call_meshctl("pc", "log", f"reviews-v1-abc.{NS}", "--snapshot", archive, "--level", "debug")
    stats = call_meshctl("pc", "stats", f"reviews-v1-abc.{NS}", "--snapshot", archive, "-o", "json")
    raw = call_meshctl("pc", "stats", f"reviews-v1-abc.{NS}", "--snapshot", archive, "-o", "raw")

    assert levels.exit_code == 0 and "  rbac: debug\n" in levels.stdout
    assert change.exit_code == 69 and "would change the proxy" in change.stderr
    recorded = {s["name"] for s in json.loads(stats.stdout)["stats"] if "name" in s}
    assert recorded == {s["name"] for s in json.loads(live_stats.stdout)["stats"] if "name" in s}
    assert raw.exit_code == 2 and "a snapshot records /stats?format=json" in raw.stderr
    assert not pods.requests, "the snapshot runs reached the cluster"


@pytest.mark.kube
def test_stats_for_many_pods(pods, rig, traffic_port):
    send(traffic_port, "/ok")

    text = kube_meshctl(pods, "pc", "stats", "-n", NS).stdout
    as_json = json.loads(kube_meshctl(pods, "pc", "stats", "-n", NS, "-o", "json").stdout)

    assert [line for line in text.splitlines() if line.startswith("POD: ")] == [
        f"POD: ratings-v1-abc.{NS}", f"POD: reviews-v1-abc.{NS}"]
    assert text.count(ECHO) == 2
    assert [item["pod"] for item in as_json["items"]] == [f"ratings-v1-abc.{NS}", f"reviews-v1-abc.{NS}"]
    assert all("stats" in item["result"] for item in as_json["items"]) and as_json["errors"] == []
