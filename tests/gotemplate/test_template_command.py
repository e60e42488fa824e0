"""`meshctl template render`: a custom injection template rendered offline."""

from __future__ import annotations

from helpers import ISTIO_TESTDATA, call_meshctl, require_shared, run_meshctl

TEMPLATE = """\
metadata:
  annotations:
    proxy: {{ annotation .ObjectMeta `sidecar.istio.io/proxyImage` .Values.global.proxy.image | quote }}
    missing: "{{ index .ObjectMeta.Annotations "nope" }}"
    mode: {{ .ProxyConfig.InterceptionMode }}
    port: {{ .Values.global.proxy.port }}
spec:
  containers:
{{- range .Spec.Containers }}
  - name: {{ .Name }}-copy
{{- end }}
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: hello
  annotations:
    sidecar.istio.io/proxyImage: custom/proxy
spec:
  containers:
  - name: app
    image: nginx
"""

VALUES = "global:\n  proxy:\n    image: proxyv2\n    port: 15020\n"


def _files(tmp_path, template=TEMPLATE):
    (tmp_path / "t.yaml").write_text(template)
    (tmp_path / "pod.yaml").write_text(POD)
    (tmp_path / "values.yaml").write_text(VALUES)
    return str(tmp_path / "t.yaml"), str(tmp_path / "pod.yaml"), str(tmp_path / "values.yaml")


def test_renders_with_typed_data_sprig_and_istio_funcs(tmp_path):
    template, pod, values = _files(tmp_path)
    result = call_meshctl("template", "render", template, "--values", values, "--data", pod)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "metadata:\n  annotations:\n"
        '    proxy: "custom/proxy"\n'
        '    missing: ""\n'  # index on map[string]string gives "" (a typed map), not <no value>
        "    mode: REDIRECT\n"  # the zero enum prints its name
        "    port: 15020\n"  # a YAML number is float64, printed with %v
        "spec:\n  containers:\n  - name: app-copy\n"
    )


def test_output_file(tmp_path):
    template, pod, values = _files(tmp_path)
    out = tmp_path / "out.yaml"
    result = call_meshctl("template", "render", template, "--values", values, "--data", pod, "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert "app-copy" in out.read_text()


def test_parse_error_has_line_and_exit_65(tmp_path):
    template, _, _ = _files(tmp_path, "ok\n{{ if }}\n")
    result = call_meshctl("template", "render", template)
    assert result.exit_code == 65
    assert result.stderr == "meshctl: error: template: t.yaml:2: missing value for if\n"


def test_exec_error_has_line_and_column(tmp_path):
    template, _, values = _files(tmp_path, "a\n  {{ .Values.global.proxy.port | printf }}\n")
    result = call_meshctl("template", "render", template, "--values", values)
    assert result.exit_code == 65
    assert result.stderr.startswith('meshctl: error: template: t.yaml:2:33: executing "t.yaml" at <printf>:')


def test_missing_file_is_a_no_input_error(tmp_path):
    result = call_meshctl("template", "render", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 66
    assert "does not exist" in result.stderr


def test_unknown_data_field_is_reported(tmp_path):
    template, _, values = _files(tmp_path)
    result = call_meshctl("template", "render", template, "--data", values)
    assert result.exit_code == 65
    assert "unknown template data field 'global'" in result.stderr


def test_renders_istio_sidecar_template_from_a_real_process(tmp_path):
    sidecar = require_shared(ISTIO_TESTDATA / "manifests/charts/istio-control/istio-discovery/files/injection-template.yaml")
    _, pod, _ = _files(tmp_path)
    values = ISTIO_TESTDATA / "manifests/charts/istio-control/istio-discovery/values.yaml"
    (tmp_path / "values.json").write_text(_chart_values_json(values))
    result = run_meshctl("template", "render", str(sidecar), "--values", str(tmp_path / "values.json"), "--data", pod)
    assert result.exit_code == 0, result.stderr
    assert "name: istio-proxy" in result.stdout
    assert "<no value>" not in result.stdout


def _chart_values_json(path) -> str:
    """The chart's values.yaml `_internal_defaults_do_not_set` block, as the injector ConfigMap carries it."""
    import json

    import yaml

    chart = yaml.safe_load(path.read_text())
    return json.dumps(chart.get("_internal_defaults_do_not_set", chart))
