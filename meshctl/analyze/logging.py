"""`pc log`: which POST /logging requests a `--level` or `--reset` means (pure).
istioctl/pkg/proxyconfig/proxyconfig.go: logCmd, setupEnvoyLogConfig. The text is
meshctl.render.logging.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from meshctl.errors import UsageError

# istioctl's name for "every logger" (defaultLoggerName), which Envoy also takes: /logging?level=L.
ALL_LOGGERS = "level"
# proxyconfig.go stringToLevel; "warn" is sent as "warning" (levelToString).
LEVELS = {"trace": "trace", "debug": "debug", "info": "info", "warning": "warning", "warn": "warning",
          "error": "error", "critical": "critical", "off": "off"}
LEVEL_CHOICES = ("trace", "debug", "info", "warning", "error", "critical", "off")
DEFAULT_LEVEL = "warning"  # proxyconfig.go defaultEnvoyOutputLevel


def level_requests(spec: str, known_loggers: Sequence[str]) -> list[str]:
    """The queries to POST to /logging, in order, for ``--level SPEC`` (istioctl logCmd's rules).

    SPEC is ``L`` (every logger) or ``[logger:]L,...``; ``logger=L`` works too, a ``ns::`` prefix
    is dropped. A bare level discards the loggers named before it (istioctl rebuilds its map),
    a logger named twice keeps its last level; every-logger goes first, the rest in the order
    given. A logger must be one the proxy lists (istioctl checks the /logging answer; it accepts
    any substring of it, which Envoy then refuses: meshctl wants the exact name) or ``level``.

    Raises:
        UsageError: istioctl's ``unrecognized logging level: X`` / ``unrecognized logger name: X``.
    """
    wanted: dict[str, str] = {}
    for item in spec.split(","):
        if ":" not in item and "=" not in item:
            if item not in LEVELS:
                raise UsageError(f"unrecognized logging level: {item}")
            wanted = {ALL_LOGGERS: LEVELS[item]}
            continue
        logger_and_level = item.split("::")[-1]
        parts = re.split(r"[:=]", logger_and_level, maxsplit=1)
        logger, level = parts[0], parts[1] if len(parts) > 1 else ""
        if logger != ALL_LOGGERS and logger not in known_loggers:
            raise UsageError(f"unrecognized logger name: {logger}")
        if level not in LEVELS:
            raise UsageError(f"unrecognized logging level: {level}")
        wanted[logger] = LEVELS[level]
    return _ordered_queries(wanted)


def _ordered_queries(wanted: dict[str, str]) -> list[str]:
    queries = [f"{ALL_LOGGERS}={wanted[ALL_LOGGERS]}"] if ALL_LOGGERS in wanted else []
    return queries + [f"{logger}={level}" for logger, level in wanted.items() if logger != ALL_LOGGERS]


def reset_requests(pod: dict | None, injector_values: dict | None) -> tuple[list[str], str]:
    """The queries that put a proxy back to its start-up levels, and where those levels come from.

    istioctl resets every logger to the injector's ``global.proxy.logLevel`` (it reads the wrong
    path, so in practice always to "warning"). A sidecar starts with the level and component levels
    in its istio-proxy args (``--proxyLogLevel``, ``--proxyComponentLogLevel``, which the injector
    renders from the pod's annotations or those values): meshctl restores exactly those, else the
    injector values, else istioctl's "warning".
    """
    args = _proxy_args(pod)
    level, components = args.get("proxyLogLevel"), args.get("proxyComponentLogLevel")
    source = "the pod's istio-proxy arguments"
    if level is None:
        proxy = (((injector_values or {}).get("global") or {}).get("proxy")) or {}
        level, components = proxy.get("logLevel"), proxy.get("componentLogLevel")
        source = "the injector's values (global.proxy.logLevel)"
    if level not in LEVELS:
        level, components, source = DEFAULT_LEVEL, None, f"istioctl's default ({DEFAULT_LEVEL})"
    wanted = {ALL_LOGGERS: LEVELS[level]}
    for item in (components or "").split(","):
        logger, sep, component_level = item.strip().partition(":")
        if sep and logger and component_level in LEVELS:
            wanted[logger] = LEVELS[component_level]
    return _ordered_queries(wanted), source


def _proxy_args(pod: dict | None) -> dict[str, str]:
    """``--name=value`` / ``--name value`` arguments of the pod's istio-proxy container."""
    spec = (pod or {}).get("spec") or {}
    containers = [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
    proxy = next((c for c in containers if c.get("name") == "istio-proxy"), None)
    if proxy is None:
        return {}
    argv = [str(a) for a in proxy.get("args") or []]
    if len(argv) == 1 and " " in argv[0]:
        argv = shlex.split(argv[0])
    found: dict[str, str] = {}
    for index, arg in enumerate(argv):
        if not arg.startswith("--"):
            continue
        name, sep, value = arg[2:].partition("=")
        if not sep and index + 1 < len(argv) and not argv[index + 1].startswith("--"):
            value = argv[index + 1]
        found[name] = value
    return found


def logging_document(loggers: Sequence[tuple[str, str]]) -> dict:
    """The JSON form (docs/json.md meshctl.log/v1): ``{"schemaVersion": ..., "loggers": {name: level}}`` in Envoy's order."""
    from meshctl.model.document import document

    return document("log", {"loggers": dict(loggers)})
