"""The ambient analyses and the verdict engine (meshctl.model.mesh) share one fact model: what
`explain mtls` and `check` call a pod's data plane is what the ambient views call captured."""

from __future__ import annotations

from meshctl.analyze.ambient import dataplane_mode
from meshctl.model.ambient import AMBIENT, NO_MESH, SIDECAR
from meshctl.model.mesh import PodIndex, dataplane_of

from helpers.ambient import build_mesh


def test_the_verdicts_data_plane_is_the_ambient_analysis_captured_mode():
    mesh = build_mesh()
    seen = {}
    for pod in mesh.pods:
        mode = dataplane_mode(pod, mesh.namespace_labels(pod["metadata"]["namespace"]))
        traffic = AMBIENT if mode.mode == AMBIENT and mode.captured else mode.mode if mode.mode == SIDECAR else NO_MESH
        seen[pod["metadata"]["name"]] = dataplane_of(pod)
        assert dataplane_of(pod) == traffic, (pod["metadata"]["name"], mode)
    # the cluster has each case: captured, opted out, enrolled but not redirected yet, sidecar, no mesh
    assert seen == {"frontend-6c7d": AMBIENT, "batch-1": NO_MESH, "late-1": NO_MESH, "reviews-v1-abc": SIDECAR, "db-0": NO_MESH,
                    "backend-5f4b": AMBIENT, "waypoint-7d9f": NO_MESH, "ratings-v1-def": SIDECAR}
    assert {fact.key for fact in PodIndex.of(mesh.pods).pods if fact.dataplane == AMBIENT} == {"frontend-6c7d.shop", "backend-5f4b.shop"}
