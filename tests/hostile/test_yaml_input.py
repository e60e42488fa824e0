"""YAML that `inject` and `template` read: alias bombs and invalid UTF-8 end with exit 65 and one line.

The bomb is the classic "billion laughs" ConfigMap of CVE-2019-11253 (446 bytes, 10^9 strings once its
aliases are expanded), and a ten-level variant (10^10). go-yaml, and so the API server and istioctl, refuse it while decoding
(meshctl.goenc.goyaml, _allowed_alias_ratio); meshctl applies the same rule wherever it reads YAML:
the input, config files, values, and what a template renders.
"""

from __future__ import annotations

import pytest

from helpers.hostile import one_error_line, run_limited

BOMB = b"""apiVersion: v1
data:
  a: &a ["web","web","web","web","web","web","web","web","web"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
kind: ConfigMap
metadata:
  name: yaml-bomb
  namespace: default
"""
POD = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n  - name: app\n    image: app\n"
CONFIG = "policy: enabled\ntemplates:\n  sidecar: |\n    spec:\n      containers:\n      - name: istio-proxy\n        image: p\n"
ALIASING = "yaml: document contains excessive aliasing"


DEEPER = "".join(
    [f"{c}: &{c} [" + ",".join([f"*{p}"] * 10) + "]\n" for p, c in zip("abcdefghi", "bcdefghij")]
).encode()
DEEPER = b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + DEEPER


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "inject-config.yaml"
    path.write_text(CONFIG)
    return str(path)


def test_alias_bomb_as_inject_input(tmp_path, config):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_bytes(BOMB)
    for run in (run_limited("inject", "-f", str(bomb), "--injectConfigFile", config),
                run_limited("inject", "-f", "-", "--injectConfigFile", config, stdin=BOMB),
                run_limited("inject", "-f", "-", "--injectConfigFile", config, stdin=DEEPER)):
        assert run.exit_code == 65
        assert ALIASING in one_error_line(run) and "go-yaml's alias limit" in run.stderr


def test_alias_bomb_in_values_and_in_what_a_template_renders(tmp_path, config):
    values = tmp_path / "values.yaml"
    values.write_bytes(BOMB)
    run = run_limited("inject", "-f", "-", "--injectConfigFile", config, "--valuesFile", str(values), stdin=POD)
    assert run.exit_code == 65 and ALIASING in one_error_line(run)
    # A template can print the bomb; the injector parses what it renders.
    rendering = tmp_path / "bomb-template.yaml"
    rendering.write_text("policy: enabled\ntemplates:\n  sidecar: |\n" + "".join(
        f"    {line}\n" for line in BOMB.decode().replace("apiVersion: v1\n", "").splitlines()))
    run = run_limited("inject", "-f", "-", "--injectConfigFile", str(rendering), stdin=POD)
    assert run.exit_code == 65 and ALIASING in one_error_line(run)


def test_alias_bomb_as_template_values(tmp_path):
    values, template = tmp_path / "values.yaml", tmp_path / "t.tmpl"
    values.write_bytes(BOMB)
    template.write_text("{{ .Values }}")
    run = run_limited("template", "render", str(template), "--values", str(values))
    assert run.exit_code == 65 and ALIASING in one_error_line(run)


def test_an_anchor_that_contains_itself(tmp_path, config):
    run = run_limited("inject", "-f", "-", "--injectConfigFile", config, stdin=POD + b"---\na: &a [b, *a]\n")
    assert run.exit_code == 65 and "contains an alias of itself" in one_error_line(run)


@pytest.mark.parametrize("where", ["input", "stdin", "config", "values", "mesh"])
def test_invalid_utf8_for_inject(tmp_path, config, where):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: caf\xe9\n")
    pod = tmp_path / "pod.yaml"
    pod.write_bytes(POD)
    args = {"input": ["-f", str(bad), "--injectConfigFile", config],
            "stdin": ["-f", "-", "--injectConfigFile", config],
            "config": ["-f", str(pod), "--injectConfigFile", str(bad)],
            "values": ["-f", str(pod), "--injectConfigFile", config, "--valuesFile", str(bad)],
            "mesh": ["-f", str(pod), "--injectConfigFile", config, "--meshConfigFile", str(bad)]}[where]  # fmt: skip
    run = run_limited("inject", *args, stdin=bad.read_bytes() if where == "stdin" else b"")
    assert run.exit_code == 65
    assert "not UTF-8 text (invalid continuation byte at byte 46)" in one_error_line(run)


@pytest.mark.parametrize("where", ["template", "values", "data"])
def test_invalid_utf8_for_template_render(tmp_path, where):
    bad, good = tmp_path / "bad", tmp_path / "good"
    bad.write_bytes(b"a: \xff\n")
    good.write_text("{{ .Values }}")
    args = {"template": [str(bad)], "values": [str(good), "--values", str(bad)],
            "data": [str(good), "--data", str(bad)]}[where]  # fmt: skip
    run = run_limited("template", "render", *args)
    assert run.exit_code == 65 and "not UTF-8 text" in one_error_line(run)


# 7 290 aliased nodes of 7 332 decoded (99.4%): over go-yaml's 99%, so the API server and istioctl
# refuse it too, yet small; a values file meshctl alone reads may need it, hence the flag.
ALIASED = (b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
           b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n")
RAISE_WITH = "raise it with --max-yaml-alias-nodes N"


def test_the_flag_default_is_go_yamls_allowance():
    from meshctl.commands._template_options import DEFAULT_YAML_ALIAS_NODES
    from meshctl.goenc.goyaml import AliasLimit

    assert DEFAULT_YAML_ALIAS_NODES == AliasLimit().nodes == 100


def test_the_alias_limit_names_its_flag_and_the_flag_raises_it(tmp_path, config):
    values, template = tmp_path / "values.yaml", tmp_path / "t.tmpl"
    values.write_bytes(ALIASED)
    template.write_text("{{ len .Values.d }}")
    run = run_limited("template", "render", str(template), "--values", str(values))
    assert run.exit_code == 65 and ALIASING in one_error_line(run) and RAISE_WITH in run.stderr
    run = run_limited("template", "render", str(template), "--values", str(values), "--max-yaml-alias-nodes", "10000")
    assert (run.exit_code, run.stdout) == (0, "9")
    # inject: the values file, the input (a ConfigMap among the workloads), the config
    pod = tmp_path / "pod.yaml"
    pod.write_bytes(POD)
    for args, stdin in ((["-f", str(pod), "--valuesFile", str(values)], b""),
                        (["-f", "-"], POD + b"---\napiVersion: v1\nkind: ConfigMap\ndata:\n  x: y\n" + ALIASED)):
        run = run_limited("inject", "--injectConfigFile", config, *args, stdin=stdin)
        assert run.exit_code == 65 and ALIASING in one_error_line(run) and RAISE_WITH in run.stderr
        run = run_limited("inject", "--injectConfigFile", config, *args, "--max-yaml-alias-nodes", "10000", stdin=stdin)
        assert run.exit_code == 0, run.stderr
        assert "istio-proxy" in run.stdout
    # the bomb stays refused whatever is allowed below it
    run = run_limited("inject", "-f", "-", "--injectConfigFile", config, "--max-yaml-alias-nodes", "1000000", stdin=BOMB)
    assert run.exit_code == 65 and ALIASING in one_error_line(run)


def test_webhooks_from_a_file_apply_the_limit_and_its_flag(tmp_path):
    path = tmp_path / "webhooks.yaml"
    path.write_bytes(b"apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\n"
                     b"metadata: {name: bomb}\nwebhooks: []\n" + ALIASED)
    run = run_limited("webhooks", "-f", str(path))
    assert run.exit_code == 65 and ALIASING in one_error_line(run) and RAISE_WITH in run.stderr
    run = run_limited("webhooks", "-f", str(path), "--max-yaml-alias-nodes", "10000")
    assert run.exit_code == 0, run.stderr


@pytest.mark.parametrize("merge", ["x", "~", "[1, 2]", "*scalar"])
def test_a_merge_key_that_is_not_a_map_is_refused_as_go_yaml_refuses_it(tmp_path, config, merge):
    # go-yaml v2 decode.go merge(): failWantMap, which istioctl kube-inject reports; meshctl crashed (exit 1)
    document = f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  labels: &scalar x\n  annotations:\n    <<: {merge}\n"
    run = run_limited("inject", "-f", "-", "--injectConfigFile", config, stdin=document.encode() + POD[POD.index(b"spec:"):])
    assert run.exit_code == 65
    assert "map merge requires map or sequence of maps as the value" in one_error_line(run)
