"""Ambient mode's vocabulary and the pod facts every layer needs (stdlib only).

Labels and annotations are Istio's (istio.io/api label and annotation packages); the ztunnel pod
test is istioctl's (istioctl/pkg/util/ambient IsZtunnelPod) and the pod order kubectl's
(k8s.io/kubectl/pkg/util/podutils ByLogging), used by istioctl to pick a node's ztunnel.
"""

from __future__ import annotations

from collections.abc import Mapping

DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode"
REDIRECTION_ANNOTATION = "ambient.istio.io/redirection"
SIDECAR_STATUS_ANNOTATION = "sidecar.istio.io/status"
USE_WAYPOINT_LABEL = "istio.io/use-waypoint"
USE_WAYPOINT_NAMESPACE_LABEL = "istio.io/use-waypoint-namespace"
WAYPOINT_FOR_LABEL = "istio.io/waypoint-for"
WAYPOINT_CLASS = "istio-waypoint"
DEFAULT_TRUST_DOMAIN = "cluster.local"
HBONE_PORT = 15008

# A pod's data plane: the names of meshctl.model.mesh's PodFact.dataplane too (one vocabulary).
AMBIENT, SIDECAR, NO_MESH = "ambient", "sidecar", "none"


def _meta(obj: Mapping | None) -> Mapping:
    return (obj or {}).get("metadata") or {}


def redirected(pod: Mapping) -> bool:
    """istio-cni redirected the pod's traffic to its node's ztunnel (cni/pkg/util/podutil.go marks
    it "enabled"): for traffic, this is what "ambient" means."""
    return (_meta(pod).get("annotations") or {}).get(REDIRECTION_ANNOTATION) == "enabled"


def is_ztunnel_pod(pod: Mapping) -> bool:
    """istioctl/pkg/util/ambient IsZtunnelPod: label app=ztunnel, or a name starting "ztunnel" when unlabelled."""
    labels = _meta(pod).get("labels") or {}
    if "app" in labels:
        return labels["app"] == "ztunnel"
    return str(_meta(pod).get("name", "")).startswith("ztunnel")


_PHASE_RANK = {"Running": 0, "Unknown": 1, "Pending": 2}  # Go's map lookup: other phases rank 0 too
_LATEST = (1, "")


def by_logging_key(pod: Mapping) -> tuple:
    """A sort key for kubectl's podutils.ByLogging: assigned before unassigned, Running < Unknown <
    Pending, ready before not ready, ready longer first, more restarts first, older first."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if isinstance(c, Mapping) and c.get("type") == "Ready"), {})
    is_ready = ready.get("status") == "True"
    restarts = max((int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or [] if isinstance(c, Mapping)), default=0)
    return (
        not spec.get("nodeName"),
        _PHASE_RANK.get(status.get("phase", ""), 0),
        not is_ready,
        _time_key(ready.get("lastTransitionTime")) if is_ready else _LATEST,
        -restarts,
        _time_key(_meta(pod).get("creationTimestamp")),
    )


def _time_key(timestamp) -> tuple[int, str]:
    # afterOrZero: an empty time sorts last. RFC 3339 UTC times sort as text.
    return (0, str(timestamp)) if timestamp else _LATEST
