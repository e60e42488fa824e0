"""Istio's pkg/kube/inject goldens: meshctl's injection must produce the same bytes as kube-inject.

Config as Istio's TestInjection builds it (see ../shared/istio-testdata/MANIFEST.md): the rendered
istio-sidecar-injector and istio ConfigMaps, Istio's Go mesh defaults, native sidecars on, and each
case's settings from tests/inject/cases.py.
"""

from __future__ import annotations

import pytest

from meshctl.errors import DecodeError

from helpers import ISTIO_TESTDATA, require_shared
from helpers.injection import INJECT_DIR, all_cases, config_for

CASES = all_cases() if INJECT_DIR.exists() else []
# Without ../shared there are no cases: a None placeholder runs require_shared, which says why.
BYTE_CASES = [c for c in CASES if not c.skip] or [None]


def _id(case) -> str:
    if case is None:
        return "shared-data-missing"
    return (case.golden or case.input).replace(".injected", "") + ("" if case.native_sidecars else "[native-off]")


@pytest.mark.parametrize("case", BYTE_CASES, ids=[_id(c) for c in BYTE_CASES])
def test_golden_byte_identical(case):
    from meshctl.inject.pipeline import inject

    require_shared(ISTIO_TESTDATA)
    source = (INJECT_DIR / case.input).read_text()
    if case.error:
        with pytest.raises(DecodeError) as err:
            inject(source, config_for(case))
        assert case.error in str(err.value).lower()
        return
    assert inject(source, config_for(case)).text == (INJECT_DIR / case.golden).read_text()


OPENSHIFT = [c for c in CASES if c.openshift_namespace] or [None]


@pytest.mark.parametrize("case", OPENSHIFT, ids=[_id(c) for c in OPENSHIFT])
def test_openshift_webhook_cases(case):
    """Istio runs these only through its webhook test (it compares pod specs), so their goldens were
    last written by an older apimachinery that still printed `creationTimestamp: null`; apart from
    those lines meshctl's output is byte-identical."""
    import re

    from meshctl.inject.pipeline import inject

    require_shared(ISTIO_TESTDATA)
    out = inject((INJECT_DIR / case.input).read_text(), config_for(case)).text
    golden = re.sub(r"(?m)^ *creationTimestamp: null\n", "", (INJECT_DIR / case.golden).read_text())
    assert out == golden


def test_every_golden_with_an_input_is_exercised():
    """Like Istio's test: a golden that no case uses would be silently untested."""
    require_shared(INJECT_DIR)
    used = {c.golden for c in CASES}
    unused = sorted(
        g.name for g in INJECT_DIR.glob("*.injected")
        if g.name not in used and (INJECT_DIR / g.name[: -len(".injected")]).exists()
    )
    assert unused == []
