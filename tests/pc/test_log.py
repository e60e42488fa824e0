"""`pc log`: Envoy's /logging answer, istioctl's level rules, and the text it prints (pure layers)."""

from __future__ import annotations

import pytest

from meshctl.analyze.logging import level_requests, logging_document, reset_requests
from meshctl.decode.logging import parse_logging, refusal
from meshctl.errors import DecodeError, UsageError
from meshctl.render.logging import logging_text, pod_logging_text

from helpers import ISTIO_TESTDATA, require_shared

LOGGING_TXT = ISTIO_TESTDATA / "istioctl/pkg/writer/envoy/logging/testdata/logging.txt"
KNOWN = ("admin", "http", "http2", "rbac", "misc", "upstream")


def test_istioctl_logging_text_round_trips_byte_for_byte():
    data = require_shared(LOGGING_TXT).read_bytes()

    loggers = parse_logging(data)

    assert len(loggers) == 40
    assert loggers[:3] == [("admin", "warning"), ("aws", "warning"), ("assert", "warning")]  # Envoy's order
    assert logging_text(loggers).encode() == data
    assert pod_logging_text("httpbin-794b576b6c-qx6pf.default", loggers).encode() == b"httpbin-794b576b6c-qx6pf.default:\n" + data


def test_logging_document_keeps_envoys_order():
    loggers = [("b", "debug"), ("a", "warning")]

    assert list(logging_document(loggers)["loggers"].items()) == loggers


def test_a_refused_change_still_lists_the_loggers_and_says_why():
    data = (b"error: unknown logger name\n\nusage: /logging?<name>=<level> (change single level)\n"
            b"levels: trace debug info warning error critical off \nactive loggers:\n  admin: warning\n"
            b"  http: debug\n\n")

    assert parse_logging(data) == [("admin", "warning"), ("http", "debug")]
    assert refusal(data) == "unknown logger name"
    assert refusal(b"active loggers:\n") == ""


@pytest.mark.parametrize("data", [b"", b"Method GET not allowed, POST required.", b"{\"stats\": []}"])
def test_other_answers_are_bad_data(data):
    with pytest.raises(DecodeError, match="not Envoy's logging answer"):
        parse_logging(data)


@pytest.mark.parametrize(
    ("spec", "queries"),
    [
        ("debug", ["level=debug"]),
        ("warn", ["level=warning"]),  # istioctl sends levelToString[WarningLevel]
        ("http:debug,rbac:trace", ["http=debug", "rbac=trace"]),
        ("http=debug", ["http=debug"]),
        ("rbac:trace,info", ["level=info"]),  # a bare level starts the map over
        ("info,rbac:trace", ["level=info", "rbac=trace"]),
        ("rbac:trace,level:error", ["level=error", "rbac=trace"]),  # every logger first
        ("http:debug,http:off", ["http=off"]),
        ("envoy::http:debug", ["http=debug"]),  # a namespace prefix is dropped
    ],
)
def test_level_specs_follow_istioctl(spec, queries):
    assert level_requests(spec, KNOWN) == queries


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("verbose", "unrecognized logging level: verbose"),
        ("http:loud", "unrecognized logging level: loud"),
        ("http:", "unrecognized logging level: "),
        ("debug,", "unrecognized logging level: "),
        ("nosuch:debug", "unrecognized logger name: nosuch"),
        ("htt:debug", "unrecognized logger name: htt"),  # istioctl's substring test would let it through
    ],
)
def test_bad_level_specs_say_what_istioctl_says(spec, message):
    with pytest.raises(UsageError) as raised:
        level_requests(spec, KNOWN)
    assert str(raised.value) == message


def _pod(args: list[str]) -> dict:
    return {"spec": {"containers": [{"name": "app"}, {"name": "istio-proxy", "args": args}]}}


def test_reset_restores_the_levels_the_sidecar_started_with():
    pod = _pod(["proxy", "sidecar", "--domain", "x", "--proxyLogLevel=debug",
                "--proxyComponentLogLevel=misc:error,rbac:debug"])

    assert reset_requests(pod, None) == (["level=debug", "misc=error", "rbac=debug"],
                                         "the pod's istio-proxy arguments")
    assert reset_requests(_pod(["--proxyLogLevel", "info"]), None)[0] == ["level=info"]


def test_reset_falls_back_to_the_injector_values_then_istioctls_warning():
    values = {"global": {"proxy": {"logLevel": "error", "componentLogLevel": "misc:error"}}}

    assert reset_requests(_pod(["proxy"]), values) == (["level=error", "misc=error"],
                                                       "the injector's values (global.proxy.logLevel)")
    assert reset_requests(None, {"global": {"proxy": {"logLevel": "bogus"}}}) == (
        ["level=warning"], "istioctl's default (warning)")
