"""Exit codes, per command, in one table: the same mistake gets the same code and the same one-line error everywhere.

README's table: 0 ok, 1 unexpected, 2 usage, 65 bad data, 66 input file missing or unreadable,
69 source unavailable, 79 check failed / inputs differ, 130 interrupted. Every command in the
tree also gets the generic rows (`test_every_command_*`), so a command added later is covered
by construction.
"""

import json
import re
from pathlib import Path

import pytest

from helpers import ROOT, call_meshctl

DATA = ROOT / "tests" / "pc" / "data"
MESH = str(DATA / "mesh_small.json")
NOPE = "/nonexistent/meshctl-input.json"
# A kubeconfig whose API server refuses connections (port 1): "source unavailable", at once.
REFUSED_KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]
current-context: c
"""

# (command words and arguments, exit code, a piece of the error line). {junk} is a file that is not
# JSON or YAML of the expected kind, {kube} the refusing kubeconfig.
CASES = [
    # bootstrap
    ("bootstrap -f " + NOPE, 66, "does not exist"),
    ("bootstrap -f {junk}", 65, "not valid JSON"),
    ("bootstrap p --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("bootstrap -f " + MESH + " -o nope", 2, "'nope' is not one of"),
    # check
    ("check --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("check --kubeconfig " + NOPE, 66, "kubeconfig"),
    ("check --fail-on sometimes --kubeconfig {kube}", 2, "--fail-on"),
    ("check a.default -A --kubeconfig {kube}", 2, "not both"),
    ("check --cert-warn soon --kubeconfig {kube}", 2, "--cert-warn"),
    # completion
    ("completion tcsh", 2, "'tcsh' is not one of bash, zsh, fish"),
    ("completion bash", 0, ""),
    # explain mtls
    ("explain mtls " + NOPE + " reviews:9080", 66, "does not exist"),
    ("explain mtls {junk} reviews:9080", 65, "not valid JSON"),
    ("explain mtls a.default b.default --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("explain mtls " + MESH + " reviews:9080 -o short --query x", 2, "--query"),
    # inject
    ("inject -f " + NOPE, 66, "does not exist"),
    ("inject --injectConfigFile {junk} --valuesFile " + NOPE + " -f " + MESH, 66, "does not exist"),
    ("inject --native-sidecars maybe -f " + MESH, 2, "--native-sidecars"),
    ("inject -f " + MESH + " --meshConfigMapName istio-1-22 --kubeconfig {kube}", 69, "cannot reach the API server"),  # istioctl's flag: a cluster read
    # inject-preview
    ("inject-preview p --kubeconfig {kube}", 69, "cannot reach the API server"),
    # proxy-config views: one source
    ("pc cluster -f " + NOPE, 66, "does not exist"),
    ("pc cluster -f {junk}", 65, "not valid JSON"),
    ("pc cluster", 2, "no input"),
    ("pc cluster -f " + MESH + " -l app=x", 2, "give one or the other"),
    ("pc cluster p.default -A", 2, "give one or the other"),
    ("pc cluster -f " + MESH + " --admin http://127.0.0.1:1", 2, "give only one of"),
    ("pc cluster -f " + MESH + " --query [0] -o short", 2, "--query"),
    ("pc cluster --admin http://[::1", 2, "--admin"),
    ("pc cluster --admin http://127.0.0.1:1", 69, "refused"),
    ("pc cluster -A --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("pc cluster -f " + MESH, 0, ""),
    ("pc listener -f " + NOPE, 66, "does not exist"),
    ("pc route -f {junk}", 65, "not valid JSON"),
    ("pc endpoint p.default --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("pc ecds -f " + NOPE, 66, "does not exist"),
    ("pc all -f {junk}", 65, "not valid JSON"),
    ("pc secret -f " + NOPE, 66, "does not exist"),
    ("pc tls -f {junk}", 65, "not valid JSON"),
    ("pc bootstrap -f " + NOPE, 66, "does not exist"),
    ("pc diff " + NOPE + " " + MESH, 66, "does not exist"),
    ("pc diff {junk} " + MESH, 65, "not valid JSON"),
    ("pc diff " + MESH + " {other}", 79, ""),
    ("pc diff " + MESH + " " + MESH + " --type nope", 2, "--type"),
    ("pc rootca-compare p.default -f " + NOPE + " --kubeconfig {kube}", 69, "cannot reach the API server"),
    # proxy-status
    ("proxy-status --syncz-file " + NOPE, 66, "does not exist"),
    ("proxy-status --syncz-file {junk}", 65, "not JSON"),
    ("proxy-status --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("proxy-status --syncz-file {junk} --istiod-file {junk}", 2, "--istiod-file"),
    ("proxy-status p.default --istiod-file " + MESH + " --file " + NOPE, 66, "does not exist"),  # istioctl's --file: the proxy's dump
    ("proxy-status p.default --istiod-file " + MESH + " --file {junk}", 65, "not valid JSON"),
    ("proxy-status --syncz-file " + MESH + " -v nope", 2, "--verbosity"),
    # rootca-compare
    ("rootca-compare -f " + NOPE, 2, "two sides"),
    ("rootca-compare -f " + NOPE + " -f " + MESH, 66, "does not exist"),
    ("rootca-compare a.default b.default --kubeconfig {kube}", 69, "cannot reach the API server"),
    # sds
    ("sds --socket /nonexistent/sds.sock", 69, "no SDS socket"),
    ("sds --socket /nonexistent/sds.sock --timeout soon", 2, "--timeout"),
    # snapshot
    ("snapshot -o /nonexistent/dir/x.tar.gz --kubeconfig {kube}", 2, "does not exist"),
    ("snapshot -o {tmp}/x.tar.gz --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("snapshot diff " + NOPE + " " + NOPE, 66, "does not exist"),
    ("snapshot diff {junk} {junk}", 65, "not a readable meshctl snapshot"),
    ("pc cluster p.default --snapshot " + NOPE, 66, "does not exist"),
    # template
    ("template render " + NOPE, 66, "does not exist"),
    # webhooks
    ("webhooks -f " + NOPE, 66, "does not exist"),
    ("webhooks -f {junk}", 65, "expected Kubernetes objects"),
    ("webhooks --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("webhooks --pod a.default --labels app=x --kubeconfig {kube}", 2, "not both"),
    # authz check
    ("authz check -f " + NOPE, 66, "does not exist"),
    ("authz check -f {junk}", 65, "not valid JSON"),
    ("authz check p.default --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("authz check -f " + MESH + " -o short --query x", 2, "--query"),
    # explain request
    ("explain request -f " + NOPE + " httpbin:80", 66, "does not exist"),
    ("explain request -f {junk} httpbin:80", 65, "not valid JSON"),
    ("explain request a.default httpbin:80 --kubeconfig {kube}", 69, "cannot reach the API server"),
    # describe
    ("describe pod p.default --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("describe svc s.default --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("describe pod p.default --kubeconfig " + NOPE, 66, "kubeconfig"),
    # pc log, pc stats
    ("pc log -f " + NOPE, 66, "does not exist"),
    ("pc log --admin http://127.0.0.1:1", 69, "refused"),
    ("pc log p.default --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("pc stats -f " + NOPE, 66, "does not exist"),
    ("pc stats -f {junk}", 65, "not Envoy's stats"),
    ("pc stats --admin http://127.0.0.1:1", 69, "refused"),
    # version, check-inject
    ("version --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("version -o bogus --remote=false", 2, "--output"),
    ("version --remote=false", 0, ""),
    ("check-inject p.default --kubeconfig {kube}", 69, "cannot reach the API server"),
    # ztunnel-config (zc), waypoint
    ("zc workload -f " + NOPE, 66, "does not exist"),
    ("zc workload -f {junk}", 65, "not valid JSON"),
    ("zc service -f " + MESH, 65, "not ztunnel's"),
    ("zc workload p.default --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("zc connections --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("zc all --admin http://127.0.0.1:1", 69, "refused"),
    ("zc certificate --node n1 -f " + MESH, 2, "at most one of --file, --node, or pod name"),
    ("zc policy -f " + MESH + " --admin http://127.0.0.1:1", 2, "give only one of"),
    ("zc service -f " + MESH + " -o short --query x", 2, "--query"),
    ("zc log --level loud", 2, "unrecognized logging level"),
    ("zc log --level debug -r", 2, "--level cannot be combined with --reset"),
    ("zc log --snapshot {junk}", 2, "not available with --snapshot"),
    ("waypoint list --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("waypoint status -A --kubeconfig {kube}", 69, "cannot reach the API server"),
    ("waypoint list -o nope", 2, "'nope' is not one of"),
    # the root
    ("", 0, ""),
    ("pc clustr", 2, "has no command 'clustr'"),
    ("--color sometimes pc cluster -f " + MESH, 2, "'sometimes' is not one of auto, always, never"),
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict:
    where = tmp_path_factory.mktemp("exit-codes")
    (where / "junk.json").write_text("not json {")
    (where / "refused.kubeconfig").write_text(REFUSED_KUBECONFIG)
    dump = json.loads(Path(MESH).read_text())
    dump["configs"] = [c for c in dump["configs"] if not c["@type"].endswith("ClustersConfigDump")]  # no clusters: the dumps differ
    (where / "other.json").write_text(json.dumps(dump))
    return {"junk": str(where / "junk.json"), "kube": str(where / "refused.kubeconfig"), "tmp": str(where), "other": str(where / "other.json")}


def check_error_lines(result, code: int):
    """An error is one `meshctl: error:` line, and at most one `hint:` line after it; never a traceback."""
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("meshctl: error: ")]
    assert len(errors) == 1, result.stderr
    after = lines[lines.index(errors[0]) + 1 :]
    assert after == [] or (len(after) == 1 and after[0].startswith("hint: ")), result.stderr
    assert "Traceback" not in result.stderr and "Usage:" not in result.stderr


@pytest.mark.parametrize(("args", "code", "says"), CASES, ids=[" ".join(case[0].split()[:3]) + f" -> {case[1]}" for case in CASES])
def test_exit_code(inputs, args, code, says):
    result = call_meshctl(*args.format(**inputs).split())
    assert result.exit_code == code, result
    if code in (0, 79):
        assert "meshctl: error:" not in result.stderr
        return
    check_error_lines(result, code)
    assert says in result.stderr, result.stderr


def _command_paths() -> list[str]:
    from meshctl.commands.reference import _commands

    return [path.removeprefix("meshctl").strip() for path, _ in _commands()]


def _long_options() -> dict[str, list[str]]:
    """Command path -> its long options worth misspelling (longer than 6 characters), for commands that have one."""
    from meshctl.commands.reference import _commands

    found = {}
    for path, command in _commands():
        longs = sorted(opt for param in command.params for opt in param.opts if opt.startswith("--") and len(opt) > 6 and opt != "--help")
        if longs:
            found[path.removeprefix("meshctl").strip()] = longs
    return found


@pytest.mark.parametrize("path", _command_paths())
def test_every_command_says_a_usage_error_on_one_line_with_a_hint(path):
    result = call_meshctl(*path.split(), "--no-such-option")
    assert result.exit_code == 2, result
    check_error_lines(result, 2)
    command = " ".join(["meshctl", *path.split()])
    usage = f"'{command} --help' shows the usage"
    error, hint = result.stderr.splitlines()
    assert error == "meshctl: error: no such option: --no-such-option"
    assert hint == f"hint: {usage}" or re.fullmatch(rf"hint: did you mean --[\w-]+( or --[\w-]+)*\? \({re.escape(usage)}\)", hint), hint


@pytest.mark.parametrize(("path", "longs"), list(_long_options().items()))
def test_every_command_with_options_suggests_the_option_meant(path, longs):
    typo = longs[0][:-1] + ("x" if longs[0][-1] != "x" else "y")
    result = call_meshctl(*path.split(), typo)
    assert result.exit_code == 2
    hint = result.stderr.splitlines()[1]
    assert hint.startswith("hint: did you mean ") and longs[0] in hint, result.stderr


def test_a_mistyped_command_gets_the_closest_names():
    result = call_meshctl("proxy-stats")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "meshctl: error: meshctl has no command 'proxy-stats'",
        "hint: did you mean 'proxy-status'? ('meshctl --help' lists the commands)",
    ]


def test_no_arguments_prints_help_and_exits_0():
    for args in ((), ("pc",), ("explain",), ("template",)):
        result = call_meshctl(*args)
        assert result.exit_code == 0 and result.stderr == ""
        assert result.stdout.startswith("Usage: meshctl")


def test_inject_on_a_terminal_says_how_to_give_input():
    import io

    from meshctl.cli import main
    from meshctl.env import Env

    class TerminalInput(io.BytesIO):
        def isatty(self) -> bool:
            return True

    out, err = io.StringIO(), io.StringIO()
    code = main(["inject", "--injectConfigFile", str(Path(NOPE))], Env(stdout=out, stderr=err, stdin=TerminalInput(b"")))
    assert code == 2
    assert err.getvalue().splitlines() == [
        "meshctl: error: no input: meshctl reads the input file from standard input, which is a terminal",
        "hint: give -f FILE, or pipe it in (... < FILE, or kubectl get ... -o yaml | meshctl ...)",
    ]


@pytest.mark.parametrize("missing", ["meshctl_no_such_module", "meshctl_no_such_package.sub"])
def test_a_missing_extra_names_itself_and_exits_69(monkeypatch, missing):
    from meshctl import errors

    monkeypatch.setitem(errors.EXTRAS, "sandbox", ("json", missing))  # a parent package missing raises inside find_spec
    with pytest.raises(errors.ExtraMissing) as raised:
        errors.require_extra("sandbox", "meshctl sandbox")
    assert str(raised.value) == f"meshctl sandbox needs the sandbox extra ({missing} is not installed): pip install 'istio-meshctl[sandbox]'"
    assert raised.value.exit_status == 69


def test_an_installed_extra_passes():
    from meshctl import errors

    errors.require_extra("sandbox", "meshctl sandbox")  # the test venv has the sandbox extra
