"""`meshctl version`: client, control plane and data plane versions, shaped as `istioctl version`.

Control plane: each running istiod (``-r`` one revision), its ``:15014/version`` answer, else
``pilot-discovery version -o json`` in its discovery container, else its image tag (said on
stderr). Data plane: istiod's ``/debug/syncz`` (the proxies connected, with the version each
reports), else the sidecar pods' images. Skew between each proxy and its istiod is warned about
with `meshctl check`'s rule. ``--short`` and ``--remote`` are on by default, as in istioctl; Go's
``--short=false`` / ``--remote=false`` work as well as ``--no-short`` / ``--no-remote``.
"""

from __future__ import annotations

from typing import Optional

import typer
from typer.core import TyperCommand

from meshctl.commands.options import QueryOption, with_kube_options
from meshctl.emit import emit
from meshctl.env import Env

app = typer.Typer(add_completion=False)

_GO_BOOLEANS = ("--short", "--remote")


class GoBooleanFlags(TyperCommand):
    """Reads pflag's ``--flag=true|false`` for the boolean flags istioctl users type that way."""

    def parse_args(self, ctx, args):
        """Click's parse_args, with ``--short=false`` and friends rewritten to Click's ``--no-short``."""
        rewritten = []
        for arg in args:
            name, sep, value = arg.partition("=")
            if sep and name in _GO_BOOLEANS and value.lower() in ("true", "false", "1", "0", "t", "f"):
                arg = name if value.lower() in ("true", "1", "t") else f"--no-{name[2:]}"
            rewritten.append(arg)
        return super().parse_args(ctx, rewritten)


@app.command(cls=GoBooleanFlags, help=(
    "Client, control plane and data plane versions (istioctl version): istiods' versions (one line when they agree), "
    "proxies grouped by version, and warnings when a proxy and its istiod break Istio's skew policy."))
def version(
    ctx: typer.Context,
    output: Optional[str] = typer.Option(None, "-o", "--output", metavar="json|yaml", show_default=False,
                                         help="One of 'yaml' or 'json'."),
    short: bool = typer.Option(True, "--short/--no-short", "-s", help="Use --short=false to generate full version information."),
    remote: bool = typer.Option(True, "--remote/--no-remote", help="Use --remote=false to suppress control plane check."),
    revision: Optional[str] = typer.Option(None, "-r", "--revision", show_default=False, help="Only the istiods of this revision."),
    query: QueryOption = None,
) -> None:
    """Client, control plane and data plane versions."""
    import platform

    from meshctl import __version__
    from meshctl.analyze.version import BuildInfo, skew_warnings, version_document
    from meshctl.errors import UsageError
    from meshctl.render.version import version_text

    if output not in (None, "json", "yaml"):
        raise UsageError("--output must be 'yaml' or 'json'")
    env = Env.of(ctx)
    servers = proxies = None
    if remote:
        cluster = env.cluster()
        servers = control_plane_versions(cluster, revision=revision, notify=env.message)
        proxies = data_plane_versions(cluster, revision=revision, notify=env.message)
        for warning in skew_warnings(servers, proxies):
            env.warn(warning)
    client = BuildInfo(__version__, git_tag=__version__)
    if output or query:
        emit(env, version_document(client, servers, proxies), output or "json", query)
        return
    long_client = f"meshctl {__version__} (Python {platform.python_version()})"
    emit(env, version_text(__version__, servers, proxies, short=short, client_long=long_client))


def control_plane_versions(cluster, *, revision: str | None, notify) -> list:
    """One ServerInfo per running istiod (pkg/kube/client.go GetIstioVersions), image tags last."""
    from meshctl.analyze.version import ServerInfo, parse_version_endpoint, parse_version_json, version_from_image
    from meshctl.errors import DecodeError, SourceError
    from meshctl.model.pods import ISTIOD_DEBUG

    namespace = cluster.options.istio_namespace
    selector = "app=istiod" + (f",istio.io/rev={revision}" if revision else "")
    pods = sorted((p for p in cluster.list("/api/v1", "pods", namespace, selector)
                   if (p.get("status") or {}).get("phase") == "Running"), key=lambda p: p["metadata"]["name"])
    if not pods:
        raise SourceError(f"Istio is not present in the cluster: no running istiod pods in namespace {namespace} "
                          f"(selector {selector}); use -i/--istio-namespace")
    servers = []
    for pod in pods:
        labels = pod["metadata"].get("labels") or {}
        name = pod["metadata"]["name"]
        component, rev = labels.get("istio") or "istiod", labels.get("istio.io/rev") or "default"
        try:
            text = cluster.fetch_from_pod(pod, ISTIOD_DEBUG, "version").data.decode("utf-8", "replace")
            info, source = parse_version_endpoint(text), "version endpoint"
        except SourceError as endpoint_error:
            try:
                data = cluster.exec_in(pod, ISTIOD_DEBUG.container, ["/usr/local/bin/pilot-discovery", "version", "-o", "json"])
                info, source = parse_version_json(data, f"pilot-discovery version in {name}"), "pilot-discovery version"
            except (SourceError, DecodeError) as exec_error:
                image = next((c.get("image", "") for c in pod["spec"].get("containers") or []
                              if c.get("name") == ISTIOD_DEBUG.container), "")
                info, source = version_from_image(image), "image"
                if info is None:
                    raise SourceError(f"istiod {name}: {endpoint_error}; {exec_error}; image {image!r} names no version") from None
                notify(f"meshctl: note: istiod {name}: version from its image {image} ({endpoint_error})")
        servers.append(ServerInfo(component, rev, info, name, source))
    return servers


def data_plane_versions(cluster, *, revision: str | None, notify) -> list:
    """The proxies istiod knows and the version each reports (pkg/proxy GetProxyInfo: /debug/syncz),
    else the sidecar pods' images."""
    from meshctl.analyze.check import image_version, pod_revision
    from meshctl.analyze.proxystatus import parse_syncz, sync_statuses
    from meshctl.analyze.version import ProxyInfo
    from meshctl.errors import SourceError
    from meshctl.model.pods import pod_key, proxy_container
    from meshctl.sources.pod import fetch_from_istiods

    try:
        answers = fetch_from_istiods(cluster, "debug/syncz", revision=revision)
        statuses = sync_statuses({istiod: parse_syncz(istiod, data) for istiod, data in answers.items()})
        return [ProxyInfo(s.proxy_id, s.istio_version, s.istiod_id) for s in statuses]
    except SourceError as exc:
        notify(f"meshctl: note: data plane versions from the sidecars' images: istiod's sync status is not available ({exc})")
    proxies = []
    for pod in cluster.list("/api/v1", "pods"):
        container = proxy_container(pod)
        meta = pod.get("metadata") or {}
        rev = pod_revision(meta.get("labels") or {}, meta.get("annotations") or {})
        if container is None or (pod.get("status") or {}).get("phase") != "Running" or (revision and rev != revision):
            continue
        proxies.append(ProxyInfo(pod_key(pod), image_version(container.get("image", "")) or "unknown", "", rev))
    return sorted(proxies, key=lambda p: p.id)


command = with_kube_options(typer.main.get_command(app))
