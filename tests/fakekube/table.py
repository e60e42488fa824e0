"""Server-side printing (meta.k8s.io/v1 Table) for pods and custom resources, as `kubectl get` asks for it.

kube-apiserver answers `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` with rows its
printers compute (pkg/printers/internalversion/printers.go printPod), and for custom resources
the CRD's additionalPrinterColumns. Other kinds are answered as plain lists, for which kubectl
prints NAME and AGE itself.
"""

from __future__ import annotations

import datetime
import json
import re

_POD_COLUMNS = [
    ("Name", "name", 0, "Name must be unique within a namespace."),
    ("Ready", "", 0, "The aggregate readiness state of this pod for accepting traffic."),
    ("Status", "", 0, "The aggregate status of the containers in this pod."),
    ("Restarts", "", 0, "The number of times the containers in this pod have been restarted and when the last "
                        "container in this pod has restarted."),
    ("Age", "", 0, "CreationTimestamp is a timestamp representing the server time when this object was created."),
    ("IP", "", 1, "podIP is an IP address allocated to the pod. Routable at least within the cluster."),
    ("Node", "", 1, "NodeName indicates in which node this pod is scheduled."),
    ("Nominated Node", "", 1, "nominatedNodeName is set when this pod preempts other pods on the node."),
    ("Readiness Gates", "", 1, "If specified, all readiness gates will be evaluated for pod readiness."),
]


def wants_table(accept: str) -> bool:
    return "as=Table" in (accept or "")


def human_duration(seconds: float) -> str:
    """apimachinery util/duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def _age(obj: dict, now: datetime.datetime) -> str:
    stamp = obj["metadata"].get("creationTimestamp")
    if not stamp:
        return "<unknown>"
    created = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return human_duration((now - created).total_seconds())


def _pod_status(pod: dict) -> str:
    # printPod, simplified: waiting/terminated reasons of app containers win over the phase.
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state") or {}
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated", {}).get("reason"):
            reason = state["terminated"]["reason"]
    return reason


def _pod_row(pod: dict, now: datetime.datetime) -> list:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for cs in statuses if cs.get("ready"))
    restarts = sum(cs.get("restartCount", 0) for cs in statuses)
    gates = spec.get("readinessGates") or []
    return [
        pod["metadata"]["name"],
        f"{ready}/{len(spec.get('containers') or [])}",
        _pod_status(pod),
        str(restarts),
        _age(pod, now),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        f"{len(gates)}" if gates else "<none>",
    ]


def pod_table(pods: list[dict], list_meta: dict) -> dict:
    """The Table kube-apiserver returns for a pod list (rows carry PartialObjectMetadata)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": [{"name": n, "type": "string", "format": f, "description": d, "priority": p}
                              for n, f, p, d in _POD_COLUMNS],
        "rows": [{"cells": _pod_row(pod, now),
                  "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": pod["metadata"]}} for pod in pods],
    }


# ---- custom resources: the CRD's printer columns (apiextensions-apiserver registry/customresource/
# tableconvertor) evaluated with the subset of JSONPath that CRDs use ----------------------------------
_NAME_COLUMN = {"name": "Name", "type": "string", "format": "name",
                "description": "Name must be unique within a namespace. Is required when creating resources, "
                               "although some resources may allow a client to request the generation of an "
                               "appropriate name automatically. Name is primarily intended for creation "
                               "idempotence and configuration definition. Cannot be updated. More info: "
                               "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
                "priority": 0}
_JSONPATH_STEP = re.compile(r'\.([A-Za-z0-9_-]+)|\[\*\]|\[(\d+)\]|\[\?\(@\.([A-Za-z0-9_.-]+)=="([^"]*)"\)\]')


def jsonpath_values(obj, path: str) -> list:
    """Evaluate `.a.b`, `[*]`, `[N]` and `[?(@.k=="v")]` steps (client-go util/jsonpath), returning every match."""
    current = [obj]
    pos = 0
    while pos < len(path):
        m = _JSONPATH_STEP.match(path, pos)
        if not m:
            raise ValueError(f"unsupported JSONPath {path!r} at {path[pos:]!r}")
        pos = m.end()
        field, index, filter_key, filter_value = m.groups()
        nxt = []
        for value in current:
            if field is not None:
                if isinstance(value, dict) and field in value:
                    nxt.append(value[field])
            elif isinstance(value, list):
                if index is not None:
                    if int(index) < len(value):
                        nxt.append(value[int(index)])
                elif filter_key is not None:
                    nxt.extend(v for v in value
                               if jsonpath_values(v, "." + filter_key) == [filter_value])
                else:
                    nxt.extend(value)
        current = nxt
    return current


def _cell(column, obj: dict, now: datetime.datetime):
    values = jsonpath_values(obj, column.json_path)
    if not values or values[0] is None:
        return None
    # "we can assume to have only one result": the convertor shows the first match only.
    value = values[0]
    if column.type == "string":
        if isinstance(value, str):
            return value
        # The JSONPath printer writes non-strings as Go's json.Marshal does (compact, HTML-escaped).
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if column.type == "date":
        if not isinstance(value, str):
            return None
        created = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return human_duration((now - created).total_seconds())
    if column.type == "integer":
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if column.type == "number":
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if column.type == "boolean":
        return value if isinstance(value, bool) else None
    return None


def custom_table(columns, objects: list[dict], list_meta: dict) -> dict:
    """The Table kube-apiserver returns for custom resources: Name, then the CRD's printer columns."""
    now = datetime.datetime.now(datetime.timezone.utc)
    definitions = [_NAME_COLUMN] + [
        {"name": c.name, "type": c.type, "format": c.format, "description": c.description, "priority": c.priority}
        for c in columns]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": definitions,
        "rows": [{"cells": [obj["metadata"]["name"], *(_cell(c, obj, now) for c in columns)],
                  "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj["metadata"]}} for obj in objects],
    }
