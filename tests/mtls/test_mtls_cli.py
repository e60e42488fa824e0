"""`meshctl explain mtls`: sources, formats and exit statuses (0 verdict, 79 will fail, 2 usage, 65 data)."""

from __future__ import annotations

import json

import pytest

from helpers import call_meshctl, run_meshctl
from helpers.mtlsdata import REVIEWS, REVIEWS_IP, client, disable_cluster, dump_bytes, server


@pytest.fixture
def files(tmp_path):
    """Write dumps: files(name, parts) -> path."""

    def write(name: str, parts: dict) -> str:
        path = tmp_path / name
        path.write_bytes(dump_bytes(**parts))
        return str(path)

    return write


def test_mtls_verdict_exit_0(files):
    src = files("src.json", client())
    result = call_meshctl("explain", "mtls", src, "reviews:9080")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == "mTLS"
    assert "  productpage-v1-abc.default -> reviews:9080" in result.stdout


def test_will_fail_exits_79_and_says_why(files):
    src = files("src.json", client(endpoints=[(REVIEWS_IP, None)]))
    dst = files("dst.json", server("STRICT"))
    result = call_meshctl("explain", "mtls", "--src-file", src, "--dst-file", dst, "reviews:9080")
    assert result.exit_code == 79
    assert result.stdout.startswith("will fail: no filter chain of DST's virtualInbound accepts raw_buffer on port 9080")


def test_dst_as_a_dump_file_with_port_uses_its_ips(files):
    src = files("src.json", client(endpoints=[(REVIEWS_IP, "istio"), ("10.244.1.5", None)]))
    dst = files("dst.json", server("PERMISSIVE"))
    result = call_meshctl("explain", "mtls", src, f"{dst}:9080", "-o", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "mTLS" and data["serverChecked"]
    assert data["destination"]["workloadIps"] == [REVIEWS_IP]
    assert [e["address"] for e in data["paths"][0]["endpoints"]] == [f"{REVIEWS_IP}:9080"]
    assert data["paths"][0]["endpoints"][0]["server"]["mode"] == "PERMISSIVE"


def test_plaintext_is_exit_0_unless_mtls_is_required(files):
    src = files("src.json", client(disable_cluster(REVIEWS)))
    assert call_meshctl("explain", "mtls", src, "reviews:9080").exit_code == 0
    result = call_meshctl("explain", "mtls", src, "reviews:9080", "--require-mtls", "-o", "yaml")
    assert result.exit_code == 79
    assert "verdict: plaintext" in result.stdout


def test_query_and_port_option(files):
    src = files("src.json", client())
    result = call_meshctl("explain", "mtls", src, "reviews", "-p", "9080", "--query", "paths[0].endpoints[0].client.certSecrets")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == ["default"]


def test_src_from_stdin(files):
    data = dump_bytes(**client())
    result = call_meshctl("explain", "mtls", "-f", "-", "reviews:9080", stdin=data)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("mTLS")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("explain", "mtls", "reviews:9080"), "give SRC and DST"),
        (("explain", "mtls", "a", "b", "c"), "give SRC and DST"),
        (("explain", "mtls", "SRC", "reviews:http"), "invalid port 'http'"),
        # "¹".isdigit() is True but int("¹") raises: a superscript is not a port.
        (("explain", "mtls", "SRC", "reviews:\u00b9"), "invalid port '\u00b9'"),
    ],
)
def test_usage_errors_exit_2(files, args, message):
    args = tuple(files("src.json", client()) if a == "SRC" else a for a in args)
    result = call_meshctl(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_two_dst_sources_is_a_usage_error(files):
    src = files("src.json", client())
    result = call_meshctl("explain", "mtls", src, "reviews:9080", "--dst-file", src, "--dst-admin", "http://127.0.0.1:1")
    assert result.exit_code == 2
    assert "only one of --dst-file, --dst-admin, --dst-pod" in result.stderr


def test_bad_dump_is_a_one_line_data_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"configs": [')
    result = call_meshctl("explain", "mtls", str(bad), "reviews:9080")
    assert result.exit_code == 65
    assert result.stderr.startswith("meshctl: error: config dump is not valid JSON") and result.stderr.count("\n") == 1


def test_runs_as_a_user_runs_it(files):
    # A fresh interpreter, real argv and pipes: the verdict line and exit status survive.
    src = files("src.json", client())
    dst = files("dst.json", server("DISABLE"))
    result = run_meshctl("explain", "mtls", src, "reviews:9080", "--dst-file", dst)
    assert result.exit_code == 79
    assert result.stdout.startswith("will fail: DST's chain 0.0.0.0_9080")
    assert "Traceback" not in result.stderr


def test_help_documents_the_exit_status():
    # Click prints help on the process's stdout: a real run, not an in-process Env
    result = run_meshctl("explain", "mtls", "--help")
    assert result.exit_code == 0
    assert "79 when it is \"will fail\"" in " ".join(result.stdout.split())
