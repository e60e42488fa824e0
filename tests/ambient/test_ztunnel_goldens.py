"""istioctl's ztunnel-config writers against its own goldens (read from ../shared, never copied).

These call the pure views directly (decode -> analyze -> render); the CLI tests run the same cases
through `meshctl ztunnel-config -f`.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from meshctl.analyze import ztunnel as views
from meshctl.decode.ztunnel import parse
from meshctl.model.tabular import Sections
from meshctl.render.console import Terminal
from meshctl.render.table import render_sections
from meshctl.render.text import render_tabular

from helpers import ISTIO_TESTDATA, require_shared

TESTDATA = ISTIO_TESTDATA / "istioctl/pkg/writer/ztunnel/configdump/testdata"
# The goldens' leaf certificate is valid from 2023-03-21 to 2033-03-22 (as ztunnel states it):
# istioctl compares with time.Now(), the tests with a fixed moment inside that window.
NOW = datetime(2026, 8, 22, tzinfo=timezone.utc)

CASES = {
    "workloadsummary.txt": lambda dump: render_tabular(views.workload_table(dump, views.WorkloadFilter())),
    "workloadsummary_default.txt": lambda dump: render_tabular(views.workload_table(dump, views.WorkloadFilter(namespace="default"))),
    "secretsummary.txt": lambda dump: render_tabular(views.certificate_table(dump, NOW)),
    "connectionsummary.txt": lambda dump: render_tabular(views.connections_table(dump, views.ConnectionsFilter())),
    "allsummary.txt": lambda dump: "\n" + render_sections(Sections(views.full_tables(dump, NOW)), Terminal()),
}


@pytest.fixture(scope="module")
def dump():
    return parse(require_shared(TESTDATA / "dump.json").read_bytes())


@pytest.mark.parametrize("golden", sorted(CASES))
def test_view_matches_istioctl_golden(dump, golden):
    expected = require_shared(TESTDATA / golden).read_text()
    assert CASES[golden](dump) == expected


def test_the_shared_dump_decodes_without_warnings(dump):
    assert dump.warnings == ()
    assert (len(dump.workloads), len(dump.services), len(dump.policies), len(dump.certificates)) == (27, 19, 2, 4)
    assert len(dump.workload_state) == 6
