"""`meshctl inject` with istioctl kube-inject's flags on istioctl's own TestKubeInject data (byte-identical)."""

from __future__ import annotations

import pytest

from helpers import ISTIO_TESTDATA, call_meshctl, require_shared

T = ISTIO_TESTDATA / "istioctl/pkg/kubeinject/testdata"


def _args(line: str) -> list[str]:
    return [a if not a.startswith("testdata/") else str(T / a[len("testdata/"):]) for a in line.split()]


# istioctl/pkg/kubeinject/kubeinject_test.go TestKubeInject: the file-driven runs.
RUNS = [
    ("--meshConfigFile testdata/mesh-config.yaml --injectConfigFile testdata/inject-config.yaml"
     " -f testdata/deployment/hello.yaml --valuesFile testdata/inject-values.yaml", "hello.yaml.injected"),
    ("--meshConfigFile testdata/mesh-config.yaml --injectConfigFile testdata/inject-config-inline.yaml"
     " -f testdata/deployment/hello.yaml --valuesFile testdata/inject-values.yaml", "hello.yaml.injected"),
    ("--operatorFileName testdata/istio-operator.yaml --injectConfigFile testdata/inject-config-iop.yaml"
     " -f testdata/deployment/hello.yaml", "hello.yaml.iop.injected"),
    ("--operatorFileName testdata/istio-operator.yaml --injectConfigFile testdata/inject-config-inline-iop.yaml"
     " -f testdata/deployment/hello.yaml", "hello.yaml.iop.injected"),
    ("--operatorFileName testdata/istio-operator.yaml --injectConfigFile testdata/inject-config-iop.yaml"
     " -f testdata/deployment/hello.yaml -f testdata/deployment/hello.yaml --valuesFile testdata/inject-values.yaml",
     "hello.yaml.iop.injected"),
    ("--meshConfigFile testdata/mesh-config.yaml --injectConfigFile testdata/inject-config.yaml"
     " -f testdata/deployment/hello-with-proxyconfig-anno.yaml --valuesFile testdata/inject-values.yaml",
     "hello-with-proxyconfig-anno.yaml.injected"),
]


@pytest.mark.parametrize(("line", "golden"), RUNS)
def test_istioctl_kubeinject_runs_are_byte_identical(line, golden):
    require_shared(T)
    result = call_meshctl("inject", *_args(line))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (T / "deployment" / golden).read_text()


def test_kebab_case_aliases_and_stdin():
    require_shared(T)
    stdin = (T / "deployment/hello.yaml").read_bytes()
    result = call_meshctl(
        "inject", "--dry-run", "--mesh-config-file", str(T / "mesh-config.yaml"),
        "--inject-config-file", str(T / "inject-config.yaml"), "--values-file", str(T / "inject-values.yaml"),
        stdin=stdin,
    )
    assert result.exit_code == 0
    assert result.stdout == (T / "deployment/hello.yaml.injected").read_text()


def test_missing_input_file_is_a_no_input_error():
    require_shared(T)
    result = call_meshctl("inject", "--injectConfigFile", str(T / "inject-config.yaml"), "-f", str(T / "missing.yaml"))
    assert result.exit_code == 66
    assert "missing.yaml" in result.stderr and "Traceback" not in result.stderr


def test_bad_annotation_exits_65_naming_the_annotation():
    from helpers.injection import INJECT_DIR, INJECTOR_CONFIGMAP, MESH_CONFIGMAP

    require_shared(INJECT_DIR)
    result = call_meshctl(
        "inject", "--injectConfigFile", str(INJECTOR_CONFIGMAP), "--meshConfigFile", str(MESH_CONFIGMAP),
        "-f", str(INJECT_DIR / "traffic-annotations-bad-excludeoutboundports.yaml"),
    )
    assert result.exit_code == 65
    assert "traffic.sidecar.istio.io/excludeOutboundPorts" in result.stderr
    assert result.stderr.count("\n") == 1


def test_no_config_files_and_no_cluster_is_a_source_error(tmp_path):
    # No kubeconfig at all (and not in a pod): the cluster is unavailable, and the error says what else to give.
    result = call_meshctl("inject", stdin=b"kind: Pod\napiVersion: v1\n", environ={"KUBECONFIG": str(tmp_path / "none")})
    assert result.exit_code == 69
    assert "--injectConfigFile" in result.stderr and result.stderr.count("\n") == 1
    # A --kubeconfig that is not there is a missing input file, as everywhere.
    result = call_meshctl("inject", "--kubeconfig", str(tmp_path / "none"), stdin=b"kind: Pod\napiVersion: v1\n")
    assert result.exit_code == 66 and "kubeconfig" in result.stderr and result.stderr.count("\n") == 1


def test_explain_names_what_decided(tmp_path):
    from helpers.injection import INJECT_DIR, INJECTOR_CONFIGMAP

    require_shared(INJECT_DIR)
    result = call_meshctl(
        "inject", "--injectConfigFile", str(INJECTOR_CONFIGMAP), "--native-sidecars", "on", "--explain",
        "-f", str(INJECT_DIR / "traffic-annotations.yaml"), "-o", str(tmp_path / "out.yaml"),
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and (tmp_path / "out.yaml").read_text().startswith("apiVersion: apps/v1")
    lines = result.stderr.splitlines()
    assert lines[0] == 'Deployment "traffic": injected with template(s) sidecar'
    assert "  native sidecar: yes  (--native-sidecars / node versions (Kubernetes >= 1.33))" in lines
    assert "  outbound ports excluded: 7,8,9  (annotation traffic.sidecar.istio.io/excludeOutboundPorts)" in lines


def test_compliance_policy_option_matches_istios_fips_golden():
    from helpers.injection import INJECT_DIR, INJECTOR_CONFIGMAP, MESH_CONFIGMAP

    require_shared(INJECT_DIR)
    result = call_meshctl(
        "inject", "--injectConfigFile", str(INJECTOR_CONFIGMAP), "--meshConfigFile", str(MESH_CONFIGMAP),
        "--native-sidecars", "on", "--compliance-policy", "fips-140-3", "-f", str(INJECT_DIR / "hello.yaml"),
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (INJECT_DIR / "hello-fips-140-3.yaml.injected").read_text()
