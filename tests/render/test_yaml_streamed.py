"""`-o yaml` is written as it is made (`goyaml.marshal_to`, `emit.write_yaml_document`): the same
bytes as the YAML made whole, redacted as the whole would be, wherever the writes are cut."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshctl.emit import emit
from meshctl.env import Env
from meshctl.goenc import goyaml
from meshctl.redact import redact_text
from meshctl.render.data import to_yaml

from helpers.keys import encodings, key_forms

_scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=30), st.text(st.sampled_from("ab \n:-#'\""), max_size=120))  # fmt: skip
_value = st.recursive(_scalar, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=20)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_value, flush=st.sampled_from([1, 2, 7, 1 << 14]))
def test_written_a_piece_at_a_time_is_the_yaml_made_whole(value, flush):
    saved = goyaml._FLUSH
    goyaml._FLUSH = flush
    try:
        pieces: list[str] = []
        goyaml.marshal_to(value, pieces.append)
    finally:
        goyaml._FLUSH = saved
    assert "".join(pieces) == goyaml.marshal(value)
    assert all(piece.endswith("\n") for piece in pieces)


def _emitted(document, query=None) -> str:
    out = io.StringIO()
    emit(Env(stdout=out, stderr=io.StringIO(), environ={}), document, "yaml", query)
    return out.getvalue()


KEY_CASES = [(form.name, how, text, secrets) for form in key_forms()[:6] for how, text, secrets in encodings(form)]


@pytest.mark.parametrize(("name", "how", "key", "secrets"), KEY_CASES, ids=[f"{name}-{how}" for name, how, _, _ in KEY_CASES])
def test_emit_yaml_cut_into_many_writes_is_the_whole_yaml_redacted(name, how, key, secrets, monkeypatch):
    """A key in a long block scalar, or on one line, is cut across writes: it is redacted as the
    whole text would be (the stream redactor carries it over)."""
    monkeypatch.setattr(goyaml, "_FLUSH", 3)
    document = {"items": [{"name": f"n{index}", "data": key if index == 5 else "x"} for index in range(10)], "z": [key]}
    expected = redact_text(to_yaml(document))
    assert _emitted(document) == expected
    assert not [secret for secret in secrets if secret in expected]


def test_emit_yaml_with_a_query_is_the_query_result_made_whole(monkeypatch):
    monkeypatch.setattr(goyaml, "_FLUSH", 2)
    document = {"a": [{"b": index, "c": "text\nwith lines"} for index in range(5)]}
    assert _emitted(document, "a[?b > `2`]") == to_yaml([{"b": 3, "c": "text\nwith lines"}, {"b": 4, "c": "text\nwith lines"}])
    assert _emitted({}) == to_yaml({}) == "{}\n\n"
    assert _emitted("") == to_yaml("")
