"""`meshctl waypoint list|status [-n NS | -A]`: ambient waypoints, what uses them, whether they are programmed.

istioctl/pkg/waypoint/waypoint.go's list and status (read-only; meshctl does not apply or delete
waypoints): Gateways of class istio-waypoint from the cluster or a --snapshot. `list -o wide`
and `-o json|yaml` add what uses each waypoint (namespaces, services and pods labelled
istio.io/use-waypoint).
"""

# No `from __future__ import annotations`: Typer evaluates the annotations.
from typing import Annotated

import typer

from meshctl.commands.options import QueryOption, output_option, with_kube_options
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]})  # fmt: skip

AllNamespaces = Annotated[bool, typer.Option("-A", "--all-namespaces", help="Waypoints in all namespaces.")]
GATEWAY_API = "/apis/gateway.networking.k8s.io/v1"


@app.callback()
def waypoint() -> None:
    """Ambient waypoints (Gateways of class istio-waypoint): list them, or show their status."""


def _gateways(env: Env, all_namespaces: bool) -> tuple[list[dict], str]:
    """The Gateways of the namespace (-n, else the context's) or of all; and that namespace ("" for all)."""
    from meshctl.errors import SourceError

    cluster = env.cluster()
    namespace = "" if all_namespaces else (env.kube.namespace or cluster.namespace)
    try:
        return cluster.list(GATEWAY_API, "gateways", namespace), namespace
    except SourceError as exc:
        raise SourceError(f"cannot list Gateways ({GATEWAY_API[6:]}): {exc}") from None


def _uses(env: Env, namespace: str):
    """Namespaces, services and pods labelled istio.io/use-waypoint (in `namespace`, or all)."""
    from meshctl.analyze.ambient import waypoint_uses
    from meshctl.model.ambient import USE_WAYPOINT_LABEL

    cluster = env.cluster()
    namespaces = [n for n in cluster.list("/api/v1", "namespaces", "", USE_WAYPOINT_LABEL)
                  if not namespace or n["metadata"]["name"] == namespace]  # fmt: skip
    services = cluster.list("/api/v1", "services", namespace, USE_WAYPOINT_LABEL)
    pods = cluster.list("/api/v1", "pods", namespace, USE_WAYPOINT_LABEL)
    return waypoint_uses(namespaces, services, pods)


def _show(env: Env, all_namespaces: bool, fmt: str, query, table) -> list:
    """Print the waypoints: the document (-o json|yaml, --query), "No waypoints found." when there is
    no Gateway at all (istioctl's message), else `table(waypoints, namespace)`; return them."""
    from meshctl.analyze.ambient import waypoints_from_gateways
    from meshctl.analyze.waypoint import NO_WAYPOINTS, waypoint_document

    gateways, namespace = _gateways(env, all_namespaces)
    waypoints = waypoints_from_gateways(gateways)
    if fmt in DATA_FORMATS:
        emit(env, waypoint_document(waypoints, _uses(env, namespace)), fmt, query)
    elif not gateways:
        env.message(NO_WAYPOINTS)
    else:
        emit(env, table(waypoints, namespace))
    return waypoints


@app.command("list")
def list_waypoints(
    ctx: typer.Context,
    all_namespaces: AllNamespaces = False,
    output: output_option("short", ("short", "wide", "json", "yaml")) = "short",
    query: QueryOption = None,
) -> None:
    """List waypoints: NAME, REVISION, TRAFFIC TYPE, PROGRAMMED (-o wide: USED BY)."""
    from meshctl.analyze.waypoint import waypoint_list_table

    env = Env.of(ctx)
    fmt = data_format(output, query)
    _show(env, all_namespaces, fmt, query, lambda waypoints, namespace: waypoint_list_table(
        waypoints, all_namespaces=all_namespaces, uses=_uses(env, namespace) if fmt == "wide" else None))


@app.command("status")
def status(
    ctx: typer.Context,
    all_namespaces: AllNamespaces = False,
    output: output_option("short", ("short", "json", "yaml")) = "short",
    query: QueryOption = None,
) -> None:
    """Show each waypoint's Programmed condition (istioctl's `waypoint status`, read once: no --wait).

    Exit status 79 when a waypoint is not programmed."""
    from meshctl.analyze.waypoint import waypoint_status_table
    from meshctl.errors import CheckFailed

    env = Env.of(ctx)
    waypoints = _show(env, all_namespaces, data_format(output, query), query,
                      lambda waypoints, _: waypoint_status_table(waypoints, all_namespaces=all_namespaces))
    waiting = [f"{w.namespace}/{w.name}" for w in waypoints if w.programmed != "True"]
    if waiting:
        raise CheckFailed(f"not programmed: {', '.join(waiting)}")


command = with_kube_options(typer.main.get_command(app))
