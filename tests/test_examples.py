"""Every command's --help has Examples, and every example runs.

The world the examples name (meshctl/commands/examples.py): a fake API server whose sidecar pods
(`reviews-v1-6b7d.bookinfo`, `productpage-v1-x.bookinfo`, `httpbin-y.foo`, deployment
`reviews-v1` in `bookinfo`) are the real Envoy rig, tests/helpers/ambient.py's ambient cluster
(fake ztunnels behind port-forward, a waypoint), istiod (its debug port answering syncz and
config dumps), the injector webhook and ConfigMaps, the root ConfigMap, and in the working
directory the files the examples read (dump.json, deploy.yaml, mesh.tar.gz, ...). An example
passes when meshctl finishes with 0 or 79 (a finding, which some examples show on purpose), with
no error line.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from contextlib import ExitStack

import pytest

from meshctl.commands.examples import EXAMPLES

from helpers import call_meshctl, require_shared

NS = "bookinfo"
TEMPLATE = 'containers:\n- name: {{ .Values.name }}\n  image: "{{ .Spec.Containers | len }}"\n'


def _command_paths() -> list[str]:
    from meshctl.commands.reference import _commands

    return [path for path, _ in _commands()]


def _examples() -> list[tuple[str, str]]:
    return [(path, line) for path, lines in EXAMPLES.items() for line, _ in lines]


@pytest.mark.parametrize("path", _command_paths())
def test_every_command_has_examples_in_its_help(path):
    from meshctl.commands.reference import _commands

    assert EXAMPLES.get(path), f"{path} has no examples (meshctl/commands/examples.py)"
    command = dict(_commands())[path]
    ctx = command.context_class(command, info_name=path)
    text = command.get_help(ctx)
    assert "\nExamples:\n" in text and EXAMPLES[path][0][0] in text
    assert not re.search(r"<(?:str|int|bool|float|list\[str\]|int range|float range)>", text), text  # human metavars only


def meshctl_words(line: str) -> list[str]:
    """The meshctl command in an example line, without the shell around it (`> file`, `| jq ...`, `source <(...)`)."""
    start = line.index("meshctl ")
    words = []
    for word in shlex.split(line[start:].rstrip(")")):
        if word in (">", "|", "||", "&&", ";") or word.startswith((">", "|")):
            break
        words.append(word)
    return [os.path.expandvars(word) for word in words[1:]]


@pytest.fixture(scope="module")
def world(tmp_path_factory, envoy_rig):
    """The fake cluster, the rig and the files the examples name; the working directory is theirs."""
    from fakekube import FakeKube, configmap, injector_webhook, istio_pod, namespace, pod, workload
    from fakekube.targets import http_target
    from helpers.ambient import build_mesh
    from helpers.ambient import serve as serve_ambient
    from helpers.describe import service
    from helpers.injection import INJECT_DIR, injector_configmaps, node

    require_shared(INJECT_DIR)
    where = tmp_path_factory.mktemp("examples")
    previous_cwd, previous_env = os.getcwd(), dict(os.environ)
    with FakeKube(workdir=where) as kube:
        kube.add(namespace(NS, {"istio-injection": "enabled"}), namespace("foo", {"istio-injection": "enabled"}), node("n0", "v1.33.0"),
                 *injector_configmaps(), injector_webhook(), configmap("istio-ca-root-cert", NS, {"root-cert.pem": envoy_rig.ca.root.cert_pem.decode()}),
                 istio_pod("reviews-v1-6b7d", NS, app="reviews"), istio_pod("productpage-v1-x", NS, app="productpage"),
                 istio_pod("httpbin-y", "foo", app="httpbin"),
                 service("reviews", NS, {"app": "reviews"}, [{"name": "http", "port": 9080, "targetPort": 9080}]),
                 pod("istiod-7d4f9c-x1", "istio-system", labels={"app": "istiod", "istio.io/rev": "default"},
                     containers=[{"name": "discovery", "image": "docker.io/istio/pilot:1.28.0", "ports": [{"containerPort": 15014}]}]))  # fmt: skip
        workload(kube, "reviews-v1", NS)
        kube.back_sidecar(("127.0.0.1", envoy_rig.admin_port), run_dir=envoy_rig.run_dir)
        dump = call_meshctl("pc", "all", "--admin", envoy_rig.admin_url, "-o", "json", "--raw").stdout.encode()
        nonces = {f"{kind}_{side}": "n1" for kind in ("cluster", "listener", "route", "endpoint") for side in ("sent", "acked")}
        syncz = json.dumps([{"cluster_id": "Kubernetes", "proxy": f"{name}.{NS}", "istio_version": "1.28.0", **nonces}
                            for name in ("reviews-v1-6b7d", "productpage-v1-x")]).encode()  # fmt: skip
        routes = {"/debug/syncz": syncz, f"/debug/config_dump?proxyID=reviews-v1-6b7d.{NS}": dump}
        with http_target(routes) as istiod, ExitStack() as ztunnels:
            kube.forward_port(15014, istiod, pod="istiod-7d4f9c-x1")
            serve_ambient(kube, build_mesh(), ztunnels)  # ambient mode's examples: namespace shop, ztunnels, a waypoint
            os.chdir(where)
            os.environ.update({"KUBECONFIG": str(kube.kubeconfig_path), "MESHCTL_ADMIN": envoy_rig.admin_url,
                               "MESHCTL_SDS_SOCKET": str(envoy_rig.sds_socket),
                               "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"})  # --run's meshctl
            try:
                (where / "dump.json").write_bytes(dump)
                (where / "ztunnel.json").write_bytes(call_meshctl("zc", "all", "--node", "node-1", "-o", "json").stdout.encode())
                (where / "deploy.yaml").write_bytes((INJECT_DIR / "hello.yaml").read_bytes())
                (where / "custom.tmpl").write_text(TEMPLATE)
                (where / "values.yaml").write_text("name: sidecar\n")
                (where / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: app:1}]\n")
                for archive in ("mesh.tar.gz", "before.tar.gz", "after.tar.gz"):
                    assert call_meshctl("snapshot", "-n", NS, "-o", archive).exit_code == 0
                yield where
            finally:
                os.chdir(previous_cwd)
                os.environ.clear()
                os.environ.update(previous_env)


@pytest.mark.kube
@pytest.mark.envoy
@pytest.mark.parametrize(("path", "line"), _examples(), ids=[line for _, line in _examples()])
def test_example_runs(world, path, line):
    words = meshctl_words(line)
    if words == ["sandbox"]:
        words = ["sandbox", "--for", "1s"]  # it runs until Ctrl-C: a second of it
    result = call_meshctl(*words)
    assert result.exit_code in (0, 79), result
    assert "meshctl: error:" not in result.stderr or result.exit_code == 79, result
    assert "Traceback" not in result.stderr
