"""The age of a warming resource: its last_updated read as Go reads a protobuf Timestamp.

Istio's tools read Envoy's config dump with protojson, which parses a Timestamp with Go's
``time.Parse(time.RFC3339Nano, ...)``. The verdicts below are Go's: each timestamp was parsed by
go1.19.8 (Debian's golang-1.19) with ``time.Parse(time.RFC3339, s)``; what Go refuses gets no age.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from meshctl.analyze import check as rules

from helpers.checkfacts import dump, mesh, pod

NOW = datetime(2026, 1, 1, 0, 5, 3, tzinfo=timezone.utc)


def warming_message(updated: str) -> str:
    found = rules.xds_warming(pod(dump=dump(warming=[("c", updated)])), mesh(now=NOW))
    assert len(found) == 1
    return found[0].msg


@pytest.mark.parametrize(
    ("updated", "age"),
    [
        ("2026-01-01T00:00:00Z", "5m3s"),
        ("2026-01-01T00:00:00.5Z", "5m2s"),  # fractional seconds: Go accepts them after the seconds
        ("2026-01-01T00:00:00.123456789123Z", "5m2s"),  # more than nanoseconds: Go keeps the first nine digits
        ("2026-01-01T00:00:00,5Z", "5m2s"),  # a comma before them too (Go >= 1.17)
        ("2026-01-01T00:00:00+00:00", "5m3s"),
        ("2026-01-01T00:00:00-00:00", "5m3s"),
        ("2026-01-01T05:30:00+05:30", "5m3s"),  # an offset is applied: 00:00 UTC
        ("2025-12-31T23:00:00-01:00", "5m3s"),
    ],
)
def test_a_timestamp_go_reads_gives_its_age(updated, age):
    assert warming_message(updated) == f"cluster c warming for {age} (endpoints or secrets not delivered)"


@pytest.mark.parametrize(
    "updated",
    [
        "2026-01-01T00:00:00z",  # Go: cannot parse "z" as "Z07:00" (RFC 3339 allows a lower-case z; Go does not)
        "2026-01-01t00:00:00Z",  # Go: cannot parse "t00:00:00Z" as "T"
        "2026-01-01 00:00:00+00:00",  # Go: cannot parse " 00:00:00+00:00" as "T"
        "2026-01-01T00:00Z",  # Go: cannot parse "Z" as ":" (no seconds)
        "20260101T000000Z",  # Go: cannot parse "0101T000000Z" as "-" (ISO 8601 basic form)
        "2026-01-01T00:00:00+0000",  # Go: cannot parse "+0000" as "Z07:00"
        "2026-01-01T00:00:00",  # Go: cannot parse "" as "Z07:00" (no zone)
        "2026-01-01T00:00:00 Z",
        "2026-01-01T00:00:00ZZ",  # Go: extra text
        "2026-01-01T24:00:00Z",  # Go: hour out of range
        "",
    ],
)
def test_a_timestamp_go_refuses_gives_no_age(updated):
    assert warming_message(updated) == "cluster c warming (endpoints or secrets not delivered)"
