"""Dynamic shell completion: pod names, namespaces and kubeconfig contexts (-o values are static).

The committed completion scripts (completions/meshctl.{bash,zsh,fish}) call meshctl back with
``_MESHCTL_COMPLETE`` set; Typer then asks these functions for candidates. A completion must
never hang the shell nor print an error into it: every cluster read runs on a thread given at
most `BUDGET` seconds (requests bounded to one second too), and any failure means no candidates.
The Kubernetes flags typed so far (--kubeconfig, --context, -n, --snapshot) apply, since Click
has parsed them into the run's Env before asking.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

BUDGET = 1.0  # seconds a completion may take, cluster included


def bounded(read: Callable[[], list[str]], incomplete: str) -> list[str]:
    """The candidates `read` finds that start with `incomplete`, or [] if it fails or takes more than BUDGET."""
    found: list[str] = []

    def run() -> None:
        try:
            found.extend(read())
        except BaseException:  # noqa: BLE001 - a completion is silent, whatever went wrong
            found.clear()

    worker = threading.Thread(target=run, daemon=True, name="meshctl completion")
    worker.start()
    worker.join(BUDGET)
    if worker.is_alive():
        return []
    return sorted({value for value in found if value.startswith(incomplete)})


def _cluster(ctx):
    from meshctl.env import Env
    from meshctl.sources.select import open_cluster

    return open_cluster(Env.of(ctx).kube._replace(request_timeout="1"))


def pods(ctx, incomplete: str) -> list[str]:
    """Pod names in -n NS (the context's namespace by default); ``NAME.NS`` across namespaces once a dot is typed."""

    def read() -> list[str]:
        cluster = _cluster(ctx)
        if "." in incomplete:
            items = cluster.list("/api/v1", "pods", "")
            return [f"{p['metadata']['name']}.{p['metadata']['namespace']}" for p in items]
        from meshctl.env import Env

        namespace = Env.of(ctx).kube.namespace or cluster.namespace
        return [p["metadata"]["name"] for p in cluster.list("/api/v1", "pods", namespace)]

    return bounded(read, incomplete)


def namespaces(ctx, incomplete: str) -> list[str]:
    """Namespace names."""
    return bounded(lambda: [n["metadata"]["name"] for n in _cluster(ctx).list("/api/v1", "namespaces")], incomplete)


def contexts(ctx, incomplete: str) -> list[str]:
    """The kubeconfig's context names (no cluster is contacted)."""

    def read() -> list[str]:
        import os

        import yaml

        from meshctl.env import Env

        files = Env.of(ctx).kube.kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
        names = []
        for path in filter(None, files.split(os.pathsep)):
            with open(path, "rb") as handle:
                config = yaml.safe_load(handle.read(1 << 20)) or {}
            names += [str(c.get("name")) for c in config.get("contexts") or [] if isinstance(c, dict) and c.get("name")]
        return names

    return bounded(read, incomplete)
