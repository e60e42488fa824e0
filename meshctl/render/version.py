"""`version`'s text, as pkg/version's cobra command prints it (istioctl/pkg/version/version.go).

The short form prints ``client version: V``, the control plane (``control plane version: V`` when
every istiod runs the same version, else one ``<component> version: V`` line per istiod) and
``data plane version: V (N proxies), ...``; the long form (``--short=false``) prints Go's ``%#v``
of each BuildInfo and ProxyInfo.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from meshctl.analyze.version import BuildInfo, ProxyInfo, ServerInfo


def _go_quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def go_syntax(info: BuildInfo) -> str:
    """Go's %#v of a BuildInfo, as istioctl's long form prints it."""
    return (f"version.BuildInfo{{Version:{_go_quote(info.version)}, GitRevision:{_go_quote(info.git_revision)}, "
            f"GolangVersion:{_go_quote(info.golang_version)}, BuildStatus:{_go_quote(info.build_status)}, "
            f"GitTag:{_go_quote(info.git_tag)}}}")


def coalesce(servers: Sequence[ServerInfo]) -> list[tuple[str, str]]:
    """(component, version) lines of the short form: one "control plane" line when every instance
    runs the same version (pkg/version coalesceVersions compares Version only)."""
    if servers and len({s.info.version for s in servers}) == 1:
        return [("control plane", servers[0].info.version)]
    return [(s.component, s.info.version) for s in servers]


def proxy_versions_text(proxies: Sequence[ProxyInfo]) -> str:
    """pkg/version renderProxyVersions: ``1.24.2 (3 proxies), 1.25.0 (1 proxies)``, or ``none``."""
    if not proxies:
        return "none"
    counts: dict[str, int] = {}
    for proxy in proxies:
        counts[proxy.istio_version] = counts.get(proxy.istio_version, 0) + 1
    return ", ".join(f"{version} ({counts[version]} proxies)" for version in sorted(counts))


def version_text(client: str, servers: Sequence[ServerInfo] | None, proxies: Sequence[ProxyInfo] | None, *,
                 short: bool = True, client_long: str = "") -> str:
    """istioctl's text; `servers`/`proxies` None when not asked for (``--remote=false``)."""
    lines = []
    if short:
        if servers is not None:
            lines.append(f"client version: {client}")
            lines.extend(f"{component} version: {version}" for component, version in coalesce(servers))
        else:
            lines.append(client)
        if proxies is not None:
            lines.append(f"data plane version: {proxy_versions_text(proxies)}")
    else:
        lines.append(f"client version: {client_long or client}")
        lines.extend(f"{s.component} version: {go_syntax(s.info)}" for s in servers or ())
        lines.extend(f'data plane version: version.ProxyInfo{{ID:{_go_quote(p.id)}, IstioVersion:{_go_quote(p.istio_version)}}}'
                     for p in proxies or ())
    return "\n".join(lines) + "\n"
