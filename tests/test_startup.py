"""Heavy modules stay out of the start-up path (DEVELOPERS.md: `meshctl --help` must start fast)."""

import subprocess
import sys

import pytest

from helpers import ISTIO_TESTDATA, require_shared

HEAVY = ("kubernetes", "grpc", "rich", "google.protobuf", "envoy", "cryptography", "yaml", "jmespath")


def loaded_modules(code: str) -> set[str]:
    probe = code + "\nimport sys; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_importing_cli_loads_nothing_heavy():
    loaded = loaded_modules("import meshctl.cli")
    assert not {m for m in loaded if m.split(".")[0] in {h.split(".")[0] for h in HEAVY}}


def test_version_path_does_not_import_typer():
    loaded = loaded_modules("import sys, io; sys.stdout = io.StringIO()\nfrom meshctl.cli import main; main(['--version'])")
    assert "typer" not in loaded
    assert "typing" not in loaded and "threading" not in loaded  # a few ms each, on a path that costs ~10 ms above Python's start


def test_root_help_imports_no_command_module():
    loaded = loaded_modules(
        "import sys, io; sys.stdout = io.StringIO()\nfrom meshctl.cli import main; main(['--help'])"
    )
    assert not {m for m in loaded if m.startswith("meshctl.commands.")}
    assert not {m for m in loaded if m.split(".")[0] in ("kubernetes", "grpc", "rich")}


# The plain-text `pc` path (`meshctl pc cluster -f small.json | cat`): none of these, and only the
# sub-command that runs is built (meshctl/commands/pc.py _LazyGroup).
PC_PLAIN_ABSENT = (
    "meshctl.sources.kube", "meshctl.gotemplate", "meshctl.commands.rootca",
    "kubernetes", "pydantic", "rich", "cryptography", "yaml", "jmespath", "grpc", "google.protobuf",
)  # fmt: skip


def _pc_probe(*args: str) -> str:
    """Code that runs `meshctl ARGS` with stdout captured (not a TTY), then reports what it loaded."""
    return (
        "import io, sys; out = sys.stdout; sys.stdout = io.StringIO()\n"
        f"from meshctl.cli import main; status = main({list(args)!r}); sys.stdout = out\n"
        "assert status == 0, status\n"
        "import meshctl.commands.pc as pc; print('built:' + ','.join(pc.command.commands))"
    )


def test_plain_pc_cluster_loads_nothing_heavy_and_builds_one_sub_command():
    dump = require_shared(ISTIO_TESTDATA / "istioctl/pkg/proxyconfig/testdata/config_dump.json")
    loaded = loaded_modules(_pc_probe("pc", "cluster", "-f", str(dump)))
    heavy = {m for m in loaded if any(m == name or m.startswith(name + ".") for name in PC_PLAIN_ABSENT)}
    assert not heavy
    assert "built:cluster" in loaded


def test_pc_help_lists_every_sub_command_without_building_rootcas_own_command():
    probe = _pc_probe("pc", "--help") + "\nprint(f\"rootca-command:{'command' in vars(sys.modules['meshctl.commands.rootca'])}\")"
    loaded = loaded_modules(probe)
    assert "rootca-command:False" in loaded
    built = next(m for m in loaded if m.startswith("built:")).removeprefix("built:").split(",")
    assert built == ["cluster", "listener", "route", "endpoint", "eds", "ecds", "all", "secret", "tls", "bootstrap", "log", "stats", "diff",
                     "rootca-compare"]


def test_offline_inject_with_repeated_set_options_skips_pydantic():
    # `--set` is a list[str] option: Typer would convert it with pydantic (~125 ms to import); the
    # fast path (meshctl/typer_fast.py) converts lists of plain values itself (their effect:
    # tests/inject/test_inject_cluster.py).
    data = require_shared(ISTIO_TESTDATA / "istioctl/pkg/kubeinject/testdata")
    args = ["inject", "--dry-run", "--meshConfigFile", str(data / "mesh-config.yaml"), "--injectConfigFile", str(data / "inject-config.yaml"),
            "--valuesFile", str(data / "inject-values.yaml"), "-f", str(data / "deployment/hello.yaml"),
            "--set", "values.global.proxy.image=proxyv2", "--set", "values.global.hub=example.com/istio"]  # fmt: skip
    probe = (
        "import io, sys; out = sys.stdout; sys.stdout = io.StringIO()\n"
        f"from meshctl.cli import main; status = main({args!r}); sys.stdout = out\n"
        "assert status == 0, status"
    )
    loaded = loaded_modules(probe)
    assert not {m for m in loaded if m.split(".")[0] == "pydantic"}


# A cluster command reads the kubeconfig and talks HTTP itself (meshctl.sources.kubeconfig,
# kubehttp): the official client (~0.5 s of imports: pydantic, urllib3, requests, oauthlib) is for
# auth-provider users only. A port-forward is a websocket on the API connection (kubews):
# websocket-client (~6.5 ms of imports) is for exec.
CLUSTER_ABSENT = ("kubernetes", "pydantic", "urllib3", "requests", "oauthlib", "yaml", "rich", "websocket")


@pytest.mark.kube
def test_pc_cluster_of_a_pod_does_not_import_the_kubernetes_client(fake_kube):
    from fakekube import http_target, istio_pod

    dump = require_shared(ISTIO_TESTDATA / "istioctl/pkg/proxyconfig/testdata/config_dump.json").read_bytes()
    fake_kube.add(istio_pod("reviews-v1-abc", "bookinfo"))
    with http_target({"/config_dump": dump}) as admin:
        fake_kube.back_sidecar(admin)
        loaded = loaded_modules(_pc_probe("pc", "cluster", "reviews-v1-abc.bookinfo", "-o", "json", "--kubeconfig", str(fake_kube.kubeconfig_path)))
    assert "meshctl.sources.kubehttp" in loaded
    assert not {m for m in loaded if any(m == name or m.startswith(name + ".") for name in CLUSTER_ABSENT)}
    assert not loaded & set(POD_JSON_ABSENT)


# Nor what only other paths need (each 1-2 ms at start-up: dataclasses made at import, a codec).
POD_JSON_ABSENT = (
    "meshctl.model.tabular",  # tables and the Serialized chunks of `pc all`: emit prints a document without them
    "meshctl.analyze.summaries",  # the short table's fields
    "meshctl.model.labels",  # the selector of a workload (deploy/NAME), not of a pod
    "encodings.idna",  # getaddrinfo's codec for a str host (kubehttp passes ASCII hosts as bytes)
    # HTTP/1.1 is meshctl.sources.http11's (http.client imports email and ssl: ~58 M instructions); the
    # websocket accept key is CPython's SHA-1 (hashlib loads OpenSSL's libcrypto); a plain-HTTP API server needs no ssl
    "http.client", "email", "ssl", "_ssl", "hashlib", "_hashlib",
)


def test_plain_zc_views_load_nothing_heavy_and_build_one_sub_command():
    # `zc` builds only the sub-command that runs (ztunnel_config._LazyAliasGroup), an alias
    # included; istioctl's certificate table needs no X.509 decoding (-o wide does: cryptography).
    dump = require_shared(ISTIO_TESTDATA / "istioctl/pkg/writer/ztunnel/configdump/testdata/dump.json")
    for args, built in ((("zc", "w", "-f", str(dump)), "workload"), (("zc", "certs", "-f", str(dump)), "certificate")):
        probe = _pc_probe(*args).replace("import meshctl.commands.pc as pc; print('built:' + ','.join(pc.command.commands))",
                                         "import meshctl.commands.ztunnel_config as zc; print('built:' + ','.join(zc.command.commands))")
        loaded = loaded_modules(probe)
        assert not {m for m in loaded if any(m == name or m.startswith(name + ".") for name in PC_PLAIN_ABSENT)}
        assert f"built:{built}" in loaded
