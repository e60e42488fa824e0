"""meshctl/sources/pod.py and KubeClient.fetch_from_pod pinned exactly against the fake API server:
how a pod is named before and after it is resolved, which port and command each endpoint uses, the
-v lines of each way in, and how istiods are chosen, asked and reported on.
"""

from __future__ import annotations

import io
import re

import pytest

from meshctl.errors import SourceError
from meshctl.model.pods import ISTIOD_DEBUG
from meshctl.model.refs import PodRef
from meshctl.sources.kube import connect
from meshctl.sources.pod import PodSource, fetch_from_istiods, proxy_source

from fakekube import ExecResult, http_target, istio_pod, pod

POD, NS = "reviews-v1-abc", "bookinfo"


def client(kube, **flags):
    return connect({"kubeconfig": str(kube.kubeconfig_path), **flags})


@pytest.mark.kube
def test_describe_names_the_reference_then_the_pod_it_resolved_to(fake_kube):
    fake_kube.add({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "reviews", "namespace": NS},
                   "spec": {"selector": {"matchLabels": {"app": "reviews"}}}})  # fmt: skip
    fake_kube.add(istio_pod(POD, NS, app="reviews"))
    fake_kube.on_exec(["pilot-agent", "request", "GET"], b"{}")
    fake_kube.refuse_port_forward("upgrade")
    source = PodSource(client(fake_kube), PodRef.parse(f"deploy/reviews.{NS}", "default"))
    assert source.describe() == f"pod {PodRef.parse(f'deploy/reviews.{NS}', 'default')}"
    assert not fake_kube.requests_for(resource="pods")  # naming it does not resolve it
    assert source.fetch("server_info") == b"{}"
    assert source.describe() == f"pod {POD}.{NS}"
    assert source.name == f"{POD}.{NS}"


@pytest.mark.kube
def test_a_pod_given_resolved_is_not_read_again_nor_checked_for_a_sidecar(fake_kube):
    istiod = pod("istiod-a", "istio-system", labels={"app": "istiod"}, containers=[{"name": "discovery", "image": "istio/pilot"}])
    fake_kube.add(istiod)
    fake_kube.refuse_port_forward("upgrade")
    fake_kube.on_exec(["pilot-discovery", "request", "GET"], b"[]", container="discovery")
    source = PodSource(client(fake_kube), pod=istiod, endpoint=ISTIOD_DEBUG)
    assert source.describe() == "pod istiod-a.istio-system"
    assert source.fetch("debug/syncz") == b"[]"
    assert not fake_kube.requests_for(resource="pods", subresource="")


@pytest.mark.kube
def test_an_istiod_reference_is_not_required_to_have_a_sidecar(fake_kube):
    fake_kube.add(pod("istiod-a", "istio-system", labels={"app": "istiod"}, containers=[{"name": "discovery", "image": "istio/pilot"}]))
    fake_kube.refuse_port_forward("upgrade")
    fake_kube.on_exec(["pilot-discovery", "request", "GET"], b"[]", container="discovery")
    source = PodSource(client(fake_kube), PodRef.parse("istiod-a.istio-system", "default"), endpoint=ISTIOD_DEBUG)
    assert source.fetch("debug/syncz") == b"[]"


@pytest.mark.kube
def test_the_proxy_admin_port_option_is_the_port_forwarded(fake_kube):
    fake_kube.add(istio_pod(POD, NS))
    with http_target({"/server_info": b'{"state": "LIVE"}'}) as target:
        fake_kube.forward_port(15099, target)
        source = proxy_source(client(fake_kube, proxy_admin_port=15099), f"{POD}.{NS}")
        assert source.fetch("server_info") == b'{"state": "LIVE"}'
    assert [r.query["ports"] for r in fake_kube.requests_for(subresource="portforward")] == [["15099"]]


@pytest.mark.kube
def test_the_verbose_lines_of_each_way_in(fake_kube):
    fake_kube.add(istio_pod(POD, NS))
    lines: list[str] = []
    with http_target({"/server_info": b"{}", "/logging": b"active loggers:\n"}) as target:
        fake_kube.forward_port(15000, target)
        source = proxy_source(client(fake_kube), f"{POD}.{NS}", notify=lines.append)
        assert source.fetch("server_info") == b"{}"
        assert source.post("logging") == b"active loggers:\n"
    fake_kube.refuse_port_forward("upgrade")
    fake_kube.on_exec(["pilot-agent", "request", "GET"], b"{}")
    fake_kube.on_exec(["pilot-agent", "request", "POST"], b"active loggers:\n")
    by_exec = proxy_source(client(fake_kube), f"{POD}.{NS}", notify=lines.append)
    assert by_exec.post("logging") == b"active loggers:\n"
    assert by_exec.fetch("certs") == b"{}"
    refused = lines[2].split(" failed (", 1)
    assert lines == [
        f"port-forward to {POD}.{NS}:15000: /server_info",
        f"port-forward to {POD}.{NS}:15000: POST /logging",
        f"port-forward to {POD}.{NS}:15000 failed ({refused[1]}",
        f"exec pilot-agent request POST in {POD}.{NS}/istio-proxy: /logging",
        f"exec pilot-agent request GET in {POD}.{NS}/istio-proxy: /certs",  # sticky: no second port-forward
    ]
    assert refused[0] == f"port-forward to {POD}.{NS}:15000" and refused[1].endswith("); trying exec")
    assert by_exec.paths_used == ["exec", "exec"]
    assert [r.query["command"] for r in fake_kube.requests_for(subresource="exec")] == [["pilot-agent", "request", "POST", "logging"], ["pilot-agent", "request", "GET", "certs"]]


@pytest.mark.kube
def test_exec_failing_alone_is_its_own_error(fake_kube):
    # once port-forward has failed for this pod, an exec failure is reported as it is
    fake_kube.add(istio_pod(POD, NS))
    fake_kube.refuse_port_forward("upgrade")
    fake_kube.on_exec(["pilot-agent", "request", "GET", "server_info"], b"{}")
    fake_kube.on_exec(["pilot-agent", "request", "GET", "certs"], ExecResult(stderr="Error: 503\n", exit_code=1))
    source = proxy_source(client(fake_kube), f"{POD}.{NS}")
    assert source.fetch("server_info") == b"{}"
    with pytest.raises(SourceError) as caught:
        source.fetch("certs")
    assert str(caught.value) == f"exec pilot-agent request GET in {POD}.{NS}/istio-proxy: exit code 1: Error: 503"


# -- istiods --------------------------------------------------------------------------------------


def istiod(name: str, namespace: str = "istio-system", revision: str = "default", phase: str = "Running") -> dict:
    return pod(name, namespace, labels={"app": "istiod", "istio.io/rev": revision}, phase=phase,
               containers=[{"name": "discovery", "image": "docker.io/istio/pilot:1.24.1"}])  # fmt: skip


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def istiods(fake_kube):
    fake_kube.add(istiod("istiod-b"), istiod("istiod-a"), istiod("istiod-canary", revision="canary"),
                  istiod("istiod-pending", phase="Pending"), istiod("istiod-elsewhere", "mesh-system"))  # fmt: skip
    fake_kube.refuse_port_forward("upgrade")
    for name in ("istiod-a", "istiod-b", "istiod-canary", "istiod-pending", "istiod-elsewhere"):
        fake_kube.on_exec(["pilot-discovery", "request", "GET"], name.encode(), pod=name)
    return fake_kube


@pytest.mark.kube
def test_every_running_istiod_of_the_namespace_is_asked(istiods):
    assert fetch_from_istiods(client(istiods), "debug/syncz") == {"istiod-a": b"istiod-a", "istiod-b": b"istiod-b", "istiod-canary": b"istiod-canary"}
    [listing] = istiods.requests_for(verb="list", resource="pods")
    assert (listing.namespace, listing.query["labelSelector"]) == ("istio-system", ["app=istiod"])
    assert fetch_from_istiods(client(istiods, istio_namespace="mesh-system"), "debug/syncz") == {"istiod-elsewhere": b"istiod-elsewhere"}


@pytest.mark.kube
def test_a_revision_selects_its_istiods(istiods):
    assert fetch_from_istiods(client(istiods), "debug/syncz", revision="canary") == {"istiod-canary": b"istiod-canary"}
    assert istiods.requests_for(verb="list", resource="pods")[0].query["labelSelector"] == ["app=istiod,istio.io/rev=canary"]
    with pytest.raises(SourceError) as caught:
        fetch_from_istiods(client(istiods), "debug/syncz", revision="nope")
    assert str(caught.value) == "no running istiod pods in namespace istio-system (selector app=istiod,istio.io/rev=nope); use -i/--istio-namespace"


def unreachable(name: str, stderr: str) -> str:
    """How an istiod whose port-forward is refused (HTTP 400) and whose exec exits 1 is reported."""
    return (f"cannot reach discovery in pod {name}.istio-system: port-forward failed: cannot create pods/portforward in namespace "
            f"istio-system: HTTP 400: Upgrade request required; exec failed: exec pilot-discovery request GET in "
            f"{name}.istio-system/discovery: exit code 1: {stderr}")  # fmt: skip


@pytest.mark.kube
def test_an_istiod_that_fails_is_skipped_and_said(istiods):
    istiods.on_exec(["pilot-discovery", "request", "GET"], ExecResult(stderr="Error: 500\n", exit_code=1), pod="istiod-b")
    notes: list[str] = []
    answers = fetch_from_istiods(client(istiods), "debug/syncz", revision="default", notify=notes.append)
    assert answers == {"istiod-a": b"istiod-a"}
    assert [n for n in notes if n.startswith("skipping")] == [f"skipping istiod istiod-b: {unreachable('istiod-b', 'Error: 500')}"]
    # without a notify, the same answer, silently
    assert fetch_from_istiods(client(istiods), "debug/syncz", revision="default") == {"istiod-a": b"istiod-a"}


@pytest.mark.kube
def test_no_istiod_answering_gives_every_reason_in_name_order(istiods):
    for name in ("istiod-b", "istiod-a"):
        istiods.on_exec(["pilot-discovery", "request", "GET"], ExecResult(stderr=f"Error: {name} down\n", exit_code=1), pod=name)
    with pytest.raises(SourceError) as caught:
        fetch_from_istiods(client(istiods), "debug/syncz", revision="default")
    assert str(caught.value) == (f"no istiod answered /debug/syncz: {unreachable('istiod-a', 'Error: istiod-a down')}; "
                                 f"{unreachable('istiod-b', 'Error: istiod-b down')}")  # fmt: skip


@pytest.mark.kube
@pytest.mark.parametrize(
    ("progress", "revision", "drawn"),
    [(True, "default", True), (False, "default", False), (True, "canary", False)],  # a bar only for several istiods
)
def test_the_progress_bar(istiods, progress, revision, drawn):
    terminal = Terminal()
    fetch_from_istiods(client(istiods), "debug/syncz", revision=revision, progress=progress, stream=terminal)
    # each redraw of the bar, without its colours, is "asking istiods ━━━━ 2/2 done 0:00:00"
    redraws = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue()).split("\r")
    assert any(redraw.startswith("asking istiods ━") for redraw in redraws) is drawn


@pytest.mark.kube
def test_no_progress_bar_unless_asked(istiods):
    terminal = Terminal()
    fetch_from_istiods(client(istiods), "debug/syncz", revision="default", stream=terminal)
    assert terminal.getvalue() == ""


class RecordingCluster:
    """A ClusterAccess double that answers every fetch by exec and records how it was asked."""

    namespace = "default"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def fetch_from_pod(self, pod, endpoint, path, notify=None, **options):
        from meshctl.sources.base import PodAnswer

        self.calls.append((path, options))
        return PodAnswer(path.encode(), "exec")


def test_a_get_is_asked_for_without_a_method_and_exec_stays():
    # ClusterAccess implementations older than `method` (snapshots, doubles) are asked for a GET as before
    cluster = RecordingCluster()
    source = PodSource(cluster, pod=istio_pod(POD, NS))
    assert source.fetch("server_info") == b"server_info"
    assert source.post("logging") == b"logging"
    assert source.fetch("certs") == b"certs"
    assert cluster.calls == [("server_info", {"try_forward": True}), ("logging", {"try_forward": False, "method": "POST"}),
                             ("certs", {"try_forward": False})]  # fmt: skip
    assert source.paths_used == ["exec", "exec", "exec"]


@pytest.mark.kube
def test_fetch_from_pod_tries_port_forward_unless_told_not_to(fake_kube):
    from meshctl.model.pods import PROXY_ADMIN

    fake_kube.add(istio_pod(POD, NS))
    with http_target({"/server_info": b'{"state": "LIVE"}'}) as target:
        fake_kube.forward_port(15000, target)
        kube = client(fake_kube)
        answer = kube.fetch_from_pod(kube.read("/api/v1", "pods", POD, NS), PROXY_ADMIN, "server_info")
    assert (answer.data, answer.way) == (b'{"state": "LIVE"}', "port-forward")
    assert not fake_kube.requests_for(subresource="exec")
