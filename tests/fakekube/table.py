"""Server-side printing (meta.k8s.io/v1 Table) for pods, as `kubectl get pods` asks for it.

kube-apiserver answers `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` with rows its
printers compute (pkg/printers/internalversion/printers.go printPod). Other kinds are answered
as plain lists, for which kubectl prints NAME and AGE itself.
"""

from __future__ import annotations

import datetime

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
