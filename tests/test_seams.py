"""The seams of docs/architecture.md used as a command author uses them: an Env over buffers,
`emit`, and a ClusterAccess handed in through the Env's factory (no API server, no monkeypatch)."""

import io

import pytest

from meshctl.cli import main
from meshctl.emit import emit
from meshctl.env import Env
from meshctl.model.options import KubeOptions
from meshctl.model.pods import PROXY_CONTAINER
from meshctl.model.tabular import Sections, Tabular
from meshctl.render.console import Terminal
from meshctl.sources.base import PodAnswer

from helpers import ROOT, call_meshctl

MESH_SMALL = ROOT / "tests" / "pc" / "data" / "mesh_small.json"


def buffers(**kwargs) -> Env:
    return Env(stdout=io.StringIO(), stderr=io.StringIO(), environ={}, **kwargs)


def test_emit_prints_each_kind_of_result():
    env = buffers()
    emit(env, Tabular(["NAME", "PORT"], [["a", "1"], ["bb", "22"]]))
    emit(env, "text as it is\n")
    emit(env, Sections([("ONE", Tabular(["X"], [["1"]])), ("TWO", "two\n")], with_headers=True))
    assert env.stdout.getvalue() == (
        "NAME     PORT\na        1\nbb       22\n"
        "text as it is\n"
        "------ ONE ------\n\nX\n1\n\n------ TWO ------\n\ntwo\n"
    )
    assert env.stderr.getvalue() == ""


def test_emit_sends_an_empty_tables_message_to_stderr_and_documents_through_query():
    env = buffers()
    emit(env, Tabular(["NAME"], [], empty_msg="No secrets."))
    emit(env, {"b": [1, 2], "a": "x<y"}, "short", query="b[1]")  # --query turns a table request into JSON
    emit(env, {"b": [1, 2]}, "yaml")
    assert env.stderr.getvalue() == "No secrets.\n"
    assert env.stdout.getvalue() == "2\nb:\n- 1\n- 2\n\n"  # YAML: Fprintln after a document that ends in a newline
    with pytest.raises(TypeError, match="cannot print a set"):
        emit(env, {1}, "short")


def test_the_terminal_decision_is_the_envs():
    tty = Terminal(rich=True, color=True, width=60)
    env = buffers(terminal=tty)
    emit(env, Tabular(["STATE"], [["warming"]]))
    assert "\x1b[33mwarming" in env.stdout.getvalue()


class RecordedCluster:
    """A ClusterAccess answering from a dump file: what a test gives a command through Env."""

    def __init__(self, options: KubeOptions, dump: bytes) -> None:
        self.options, self.server, self.timeout = options, "recorded", 1.0
        self.dump = dump
        self.fetched: list[tuple[str, str]] = []

    @property
    def namespace(self) -> str:
        return self.options.namespace or "default"

    def pod(self, name: str, namespace: str) -> dict:
        return {"metadata": {"name": name, "namespace": namespace, "labels": {"app": name.split("-")[0]}},
                "spec": {"containers": [{"name": PROXY_CONTAINER}]}, "status": {"phase": "Running"}}  # fmt: skip

    def list(self, kind_path, plural, namespace="", label_selector=""):
        assert (kind_path, plural) == ("/api/v1", "pods")
        return [self.pod("reviews-v1", namespace or "default"), self.pod("ratings-v1", namespace or "default")]

    def resolve_pod(self, ref):
        return self.pod(ref.name, ref.namespace)

    def require_proxy(self, pod):
        return pod["spec"]["containers"][0]

    def fetch_from_pod(self, pod, endpoint, path, notify=None, *, try_forward=True):
        self.fetched.append((pod["metadata"]["name"], path))
        if notify:
            notify(f"recorded {path}")
        return PodAnswer(self.dump, "recorded")


def test_a_command_reads_a_pod_through_the_cluster_the_env_gives_it():
    made = []

    def factory(options: KubeOptions):
        made.append(RecordedCluster(options, MESH_SMALL.read_bytes()))
        return made[0]

    env = buffers(cluster_factory=factory)
    status = main(["pc", "cluster", "reviews-v1.bookinfo", "-v", "--proxy-admin-port", "15001"], env)
    from_file = call_meshctl("pc", "cluster", "-f", str(MESH_SMALL), environ={})
    assert status == 0 and env.stdout.getvalue() == from_file.stdout
    cluster = made[0]
    assert cluster.options.proxy_admin_port == 15001 and cluster.options.show_path is True
    assert cluster.fetched == [("reviews-v1", "config_dump")]
    assert "meshctl: recorded config_dump" in env.stderr.getvalue()


def test_many_pods_are_fetched_then_viewed_then_merged():
    env = buffers(cluster_factory=lambda options: RecordedCluster(options, MESH_SMALL.read_bytes()))
    assert main(["pc", "route", "-n", "bookinfo", "-o", "json", "--query", "items[].pod"], env) == 0
    assert env.stdout.getvalue() == '[\n    "ratings-v1.bookinfo",\n    "reviews-v1.bookinfo"\n]\n'
    single = call_meshctl("pc", "route", "-f", str(MESH_SMALL), environ={}).stdout
    env = buffers(cluster_factory=lambda options: RecordedCluster(options, MESH_SMALL.read_bytes()))
    assert main(["pc", "route", "-n", "bookinfo"], env) == 0
    assert env.stdout.getvalue() == f"POD: ratings-v1.bookinfo\n{single}\nPOD: reviews-v1.bookinfo\n{single}"
