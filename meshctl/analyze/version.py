"""`version`: client, control plane and data plane versions, shaped as istioctl's (pure; the
text forms are meshctl.render.version).

istioctl/pkg/version/version.go wires pkg/version's cobra command: ``--short`` and ``--remote``
default to true; ``-o json|yaml`` marshal pkg/version's Version (version_document here).

Where the numbers come from (pkg/kube/client.go GetIstioVersions, pkg/proxy GetProxyInfo):
istiod's ``:15014/version`` answer (``1.24.2-<git sha>-Clean``: no Go version), else ``pilot-discovery
version -o json`` in its discovery container; proxies from istiod's ``/debug/syncz``. meshctl
adds a last resort for each (image tags) and the skew warnings of `meshctl check`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from meshctl.analyze.check import image_version, skew_problem
from meshctl.errors import DecodeError


@dataclass(frozen=True)
class BuildInfo:
    """pkg/version BuildInfo (JSON: version, revision, golang_version, status, tag)."""

    version: str
    git_revision: str = ""
    golang_version: str = ""
    build_status: str = ""
    git_tag: str = ""

    def document(self) -> dict:
        """pkg/version's JSON of a BuildInfo."""
        return {"version": self.version, "revision": self.git_revision, "golang_version": self.golang_version,
                "status": self.build_status, "tag": self.git_tag}


@dataclass(frozen=True)
class ServerInfo:
    """One control plane instance (pkg/version ServerInfo); `pod` and `source` are meshctl's."""

    component: str
    revision: str
    info: BuildInfo
    pod: str = ""
    source: str = ""  # "version endpoint", "pilot-discovery version", "image"

    def document(self) -> dict:
        """pkg/version's JSON of a ServerInfo (Go field names: no json tags)."""
        return {"Component": self.component, "Revision": self.revision, "Info": self.info.document()}


@dataclass(frozen=True)
class ProxyInfo:
    """One data plane proxy (pkg/version ProxyInfo); `istiod` and `revision` are for skew checks."""

    id: str
    istio_version: str
    istiod: str = ""
    revision: str = ""

    def document(self) -> dict:
        """pkg/version's JSON of a ProxyInfo."""
        return {"ID": self.id, "IstioVersion": self.istio_version}


def parse_version_endpoint(text: str) -> BuildInfo:
    """istiod's ``:15014/version`` answer (client.go setServerInfoWithIstiodVersionInfo)."""
    parts = text.strip().split("-")
    if len(parts) >= 3:
        return BuildInfo(parts[0], "-".join(parts[1:-1]), "", parts[-1], parts[0])
    return BuildInfo(text.strip())


def parse_version_json(data: bytes, what: str = "version output") -> BuildInfo:
    """``pilot-discovery version -o json``: pkg/version Version, whose clientVersion is the binary's."""
    try:
        document = json.loads(data)
        info = document["clientVersion"]
        return BuildInfo(str(info.get("version", "")), str(info.get("revision", "")), str(info.get("golang_version", "")),
                         str(info.get("status", "")), str(info.get("tag", "")))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise DecodeError(f"{what} is not `version -o json` output") from None


def version_from_image(image: str) -> BuildInfo | None:
    """The version an image tag names (``proxyv2:1.24.2`` -> 1.24.2), or None."""
    version = image_version(image)
    return BuildInfo(version, git_tag=version) if version else None


def version_document(client: BuildInfo, servers: Sequence[ServerInfo] | None, proxies: Sequence[ProxyInfo] | None) -> dict:
    """pkg/version Version as JSON (omitempty: remote parts only when asked for)."""
    document: dict = {"clientVersion": client.document()}
    if servers is not None:
        document["meshVersion"] = [s.document() for s in servers]
    if proxies is not None:
        document["dataPlaneVersion"] = [p.document() for p in proxies]
    return document


def skew_warnings(servers: Sequence[ServerInfo], proxies: Sequence[ProxyInfo]) -> list[str]:
    """`meshctl check`'s skew rule per group of proxies: each proxy against the istiod it is connected
    to (from sync status), else against its revision's istiods; one line per (proxy version, istiod
    version) pair that breaks Istio's policy, with how many proxies are affected."""
    by_pod = {s.pod: s.info.version for s in servers if s.pod}
    by_revision: dict[str, set[str]] = {}
    for server in servers:
        by_revision.setdefault(server.revision or "default", set()).add(server.info.version)
    problems: dict[str, int] = {}
    for proxy in proxies:
        controls = {by_pod[proxy.istiod]} if proxy.istiod in by_pod else by_revision.get(proxy.revision or "default", set())
        for control in sorted(controls):
            problem = skew_problem(proxy.istio_version, control)
            if problem:
                problems[problem] = problems.get(problem, 0) + 1
    return [f"{problem} ({count} {'proxy' if count == 1 else 'proxies'})" for problem, count in sorted(problems.items())]
