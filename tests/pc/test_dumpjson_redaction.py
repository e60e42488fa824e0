"""`pc all -o json`'s byte path redacts each distinct piece it makes once (render.dumpjson
`_redacted`), not the 300 MB it prints: what it prints must be what the one redaction step
(`meshctl.redact.redact_text`) makes of the whole output, byte for byte, wherever a key sits.

That rests on one fact (docs/security.md): in JSON laid out one value per line, none of the
recogniser's marks (a base64 run, wrapped or not, a PEM block) reaches from one JSON token to the
next, so redacting line by line gives what redacting the whole gives. It is checked here on its
own (random documents, keys in random places) and on the byte path itself (keys in every kind of
place its pieces come from, batches cut small, a key met again in later batches, a key split
across two strings).
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshctl.commands.pc.all_config import full_dump
from meshctl.decode.configdump import parse
from meshctl.redact import redact_text
from meshctl.render.data import to_json
from meshctl.render.dumpjson import istioctl_dump_json

from helpers import run_meshctl
from helpers.wholedumps import B64_KEY, CASES, any_of, dump_with, envoy_json


def redacted_whole(data: bytes, raw: bool = False) -> bytes:
    """The general path's output with the one redaction step applied to all of it."""
    return redact_text(to_json(full_dump(parse(data), raw))).encode()


def byte_path(data: bytes, raw: bool = False) -> bytes:
    streamed = istioctl_dump_json(data, raw)
    assert streamed is not None, "the dump should take the byte path"
    return b"".join(bytes(chunk) for chunk in streamed[0])


@pytest.mark.parametrize(("name", "how", "key", "secrets"), CASES, ids=[f"{name}-{how}" for name, how, _, _ in CASES])
def test_every_key_form_anywhere_in_a_dump_as_the_whole_output_redacted(name, how, key, secrets):
    data = envoy_json(dump_with(key))
    out = byte_path(data)
    assert out == redacted_whole(data)
    assert not [secret for secret in secrets if secret.encode() in out]


@pytest.mark.parametrize("raw", [False, True], ids=["istioctl", "raw"])
def test_a_key_met_again_in_later_batches_is_redacted_in_each(raw, monkeypatch):
    """A piece holding a key is not kept for reuse: every batch that meets it again is redacted."""
    from meshctl.render import dumpjson

    data = envoy_json(dump_with(B64_KEY, clusters=30))
    expected = redacted_whole(data, raw)
    assert B64_KEY.encode() not in expected
    for size in (1, 2000, 1 << 20):
        monkeypatch.setattr(dumpjson, "_BATCH", size)
        assert byte_path(data, raw) == expected


def test_a_key_split_across_two_strings_is_caught_as_the_whole_output_is():
    """Split across two adjacent strings (two lines of the output), a key is caught only where its
    halves are recognised alone (docs/security.md: known limits): the start of a DER key is still a
    key, cut short. The byte path catches exactly that, like the redaction of the whole output."""
    half = len(B64_KEY) // 2
    half -= half % 4  # each half decodes on its own
    first, second = B64_KEY[:half], B64_KEY[half:]
    document = dump_with("x")
    document["configs"][1]["dynamic_active_clusters"][0]["cluster"]["alt_names"] = [first, second]
    document["configs"][1]["dynamic_active_clusters"][0]["cluster"]["description"] = first + "\n" + second  # wrapped: one run
    data = envoy_json(document)
    out = byte_path(data)
    assert out == redacted_whole(data)
    assert first.encode() not in out  # the first half, alone on its line, is a key cut short
    assert (first + "\\n" + second).encode() not in out


def test_pc_all_json_prints_the_redacted_output_in_a_process(tmp_path):
    """Through emit: a redacted `Serialized` is written as it is, and it is the redacted whole."""
    dump = tmp_path / "dump.json"
    dump.write_bytes(envoy_json(dump_with(B64_KEY, clusters=3)))
    result = run_meshctl("pc", "all", "-f", str(dump), "-o", "json")
    assert result.exit_code == 0
    assert result.stdout.encode() == redacted_whole(dump.read_bytes())
    assert B64_KEY not in result.stdout


# -- the fact it rests on ------------------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
_b64ish = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-\n "), max_size=120)
_key_text = st.sampled_from(CASES).map(lambda case: case[2])
_scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False, allow_infinity=False), _text, _b64ish, _key_text)
_value = st.recursive(_scalar, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.one_of(_text, _key_text), inner, max_size=4)),
                      max_leaves=12)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=_value)
def test_json_redacted_line_by_line_is_json_redacted_whole(document):
    text = to_json(document)
    assert "\n".join(map(redact_text, text.split("\n"))) == redact_text(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(_value, min_size=1, max_size=4), batch=st.sampled_from([1, 300, 1 << 20]))
def test_random_dumps_with_keys_as_the_whole_output_redacted(values, batch):
    from meshctl.render import dumpjson

    clusters = [{"cluster": any_of("envoy.config.cluster.v3.Cluster", name=f"c{index}", description=value,
                                   metadata={"filter_metadata": {"istio": value}})} for index, value in enumerate(values)]  # fmt: skip
    data = envoy_json({"configs": [any_of("envoy.admin.v3.ClustersConfigDump", dynamic_active_clusters=copy.deepcopy(clusters))]})
    saved = dumpjson._BATCH
    dumpjson._BATCH = batch
    try:
        assert byte_path(data) == redacted_whole(data)
    finally:
        dumpjson._BATCH = saved
