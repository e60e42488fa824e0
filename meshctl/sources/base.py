"""The Source protocol: every way of reaching Envoy's data ends in bytes.

A pod (port-forward or exec), an admin URL, a file and stdin all answer `fetch(path)`, where
`path` is an Envoy admin path such as ``config_dump?include_eds`` or ``clusters?format=json``.
The decode layer cannot tell them apart (istioctl setup*ConfigdumpWriter -> Prime).
"""

from __future__ import annotations

from typing import Protocol


class Source(Protocol):
    def fetch(self, path: str) -> bytes:
        """Return the body Envoy's admin API gives for `path` (a file source returns its content)."""

    def describe(self) -> str:
        """A short phrase for messages: ``file dump.json``, ``admin http://127.0.0.1:15000``."""
