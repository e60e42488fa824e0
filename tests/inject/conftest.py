"""Fixtures of the injection tests."""

from __future__ import annotations

import pytest

from helpers import require_shared
from helpers.injection import INJECT_DIR, TAGS, node, rev_namespace_selector, revision_configmaps


@pytest.fixture
def two_revisions(fake_kube):
    from fakekube import injector_webhook, namespace

    require_shared(INJECT_DIR)
    for revision in TAGS:
        fake_kube.add(*revision_configmaps(revision),
                      injector_webhook(revision, namespace_selector=rev_namespace_selector(revision)))
    fake_kube.add(node("n0", "v1.33.0"), namespace("shop", {"istio.io/rev": "1-22"}),
                  namespace("legacy", {"istio.io/rev": "1-21"}), namespace("plain"))
    return fake_kube
