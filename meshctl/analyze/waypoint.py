"""`meshctl waypoint list|status`: istioctl's waypoint tables (istioctl/pkg/waypoint/waypoint.go),
plus what uses each waypoint (``-o wide`` and JSON).

istioctl lists the Gateways of the namespace (or all, -A), prints "No waypoints found." when there is
no Gateway at all, sorts by namespace then name and keeps class ``istio-waypoint``. `status` prints
one condition per waypoint: the Programmed=True one, else the last condition (istioctl's loop
variable, which a waypoint without conditions inherits from the previous one). istioctl's
``status --wait`` polls until programmed; meshctl reads once (a snapshot can answer it too).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from meshctl.analyze.ambient import Waypoint, WaypointUse, users_of
from meshctl.model.document import document
from meshctl.model.tabular import Tabular, printable

NO_WAYPOINTS = "No waypoints found."


def waypoint_list_table(waypoints: Iterable[Waypoint], *, all_namespaces: bool, uses: Iterable[WaypointUse] | None = None) -> Tabular:
    """waypoint.go waypointListCmd's table; with `uses`, a USED BY column (meshctl's wide view)."""
    columns = ["NAMESPACE"] if all_namespaces else []
    columns += ["NAME", "REVISION", "TRAFFIC TYPE", "PROGRAMMED"]
    uses = list(uses) if uses is not None else None
    if uses is not None:
        columns.append("USED BY")
    rows = []
    for waypoint in waypoints:
        row = [waypoint.namespace] if all_namespaces else []
        row += [waypoint.name, waypoint.revision, waypoint.traffic_type, waypoint.programmed]
        if uses is not None:
            row.append(",".join(_use_text(use, waypoint) for use in users_of(waypoint, uses)) or "-")
        rows.append([printable(cell) for cell in row])
    return Tabular(columns, rows, padding=5)


def _use_text(use: WaypointUse, waypoint: Waypoint) -> str:
    where = "" if use.namespace == waypoint.namespace else f".{use.namespace}"
    return f"namespace/{use.name}" if use.kind == "Namespace" else f"{use.kind.lower()}/{use.name}{where}"


def waypoint_status_table(waypoints: Iterable[Waypoint], *, all_namespaces: bool) -> Tabular:
    """waypoint.go printWaypointStatus, read once (no --wait)."""
    columns = (["NAMESPACE"] if all_namespaces else []) + ["NAME", "STATUS", "TYPE", "REASON", "MESSAGE"]
    rows = []
    condition: Mapping = {}
    for waypoint in waypoints:
        for condition in waypoint.conditions:  # noqa: B007 - the last one is kept, as in istioctl
            if condition.get("type") == "Programmed" and condition.get("status") == "True":
                break
        row = [waypoint.namespace] if all_namespaces else []
        row += [waypoint.name, *(str(condition.get(key, "")) for key in ("status", "type", "reason", "message"))]
        rows.append([printable(cell) for cell in row])
    return Tabular(columns, rows, padding=5)


def waypoint_document(waypoints: Iterable[Waypoint], uses: Iterable[WaypointUse]) -> dict:
    """`waypoint list|status -o json` (docs/json.md meshctl.waypoints/v1): each waypoint, its status
    conditions and what uses it."""
    uses = list(uses)
    return document("waypoints", {"waypoints": [
        {"name": w.name, "namespace": w.namespace, "revision": w.revision, "trafficType": w.traffic_type,
         "programmed": w.programmed, "addresses": list(w.addresses), "conditions": [dict(c) for c in w.conditions],
         "usedBy": [use.to_dict() for use in users_of(w, uses)]}
        for w in waypoints
    ]})  # fmt: skip
