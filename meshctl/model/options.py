"""kubectl's connection flags as a user gave them (stdlib only): one value shared by every layer.

`cli.main` puts a default `KubeOptions` in the run's `meshctl.env.Env`; commands that take the
flags (`meshctl.commands.options.with_kube_options`) replace it as Click parses them; sources read
it (`meshctl.sources.select.open_cluster`, `open_source`). A NamedTuple, not a dataclass: it is
built on every run, and a dataclass costs a compile at start-up.
"""

from __future__ import annotations

from typing import NamedTuple

DEFAULT_ISTIO_NAMESPACE = "istio-system"
DEFAULT_PROXY_ADMIN_PORT = 15000


class KubeOptions(NamedTuple):
    """The Kubernetes flags; None means "not given" (kubectl's defaults then apply).

    `request_timeout` is kept as given (``"30s"``, ``"2m"``, or seconds as a number): it is parsed
    where it is used (`meshctl.sources.kube.parse_timeout`), so that a command that never reaches
    the cluster does not reject it.
    """

    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    istio_namespace: str = DEFAULT_ISTIO_NAMESPACE
    as_user: str | None = None
    request_timeout: str | float | None = None
    proxy_admin_port: int = DEFAULT_PROXY_ADMIN_PORT
    show_path: bool = False
    snapshot: str | None = None
    max_body_size: str | None = None  # as given ("1Gi"); parsed where used (meshctl.model.limits)
    max_snapshot_size: str | None = None
