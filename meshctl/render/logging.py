"""`pc log`'s text: Envoy's own /logging layout, which istioctl prints as is (after
``<pod>.<namespace>:``; istioctl/pkg/proxyconfig/proxyconfig.go logCmd)."""

from __future__ import annotations

from collections.abc import Sequence

from meshctl.decode.logging import HEADER


def logging_text(loggers: Sequence[tuple[str, str]]) -> str:
    """Envoy's /logging text, which istioctl prints as is (after ``<pod>.<namespace>:``)."""
    return HEADER + "\n" + "".join(f"  {name}: {level}\n" for name, level in loggers) + "\n"


def pod_logging_text(pod: str, loggers: Sequence[tuple[str, str]]) -> str:
    """istioctl's output for one pod: ``<pod>.<namespace>:`` then the levels."""
    return f"{pod}:\n" + logging_text(loggers)
