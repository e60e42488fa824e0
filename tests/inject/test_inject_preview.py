"""inject-preview's pure part: the Istio view of a pod and the drift between two pods."""

from __future__ import annotations

from meshctl.inject import preview


def _pod(image: str, *, annotations=None, native: bool = False) -> dict:
    proxy = {"name": "istio-proxy", "image": image, "terminationMessagePath": "/dev/termination-log",
             "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}]}
    spec = {"containers": [{"name": "app", "image": "app:1"}], "volumes": [{"name": "istio-envoy"}]}
    spec["initContainers" if native else "containers"] = ([proxy] if native else [*spec["containers"], proxy])
    return {"metadata": {"name": "p", "annotations": {"istio.io/rev": "default", "other": "x", **(annotations or {})},
                         "labels": {"app": "a", "security.istio.io/tlsMode": "istio"}}, "spec": spec}


def test_istio_view_keeps_only_what_injection_decides():
    view = preview.istio_view(_pod("proxyv2:1.20"))
    assert view["annotations"] == {"istio.io/rev": "default"}
    assert view["labels"] == {"security.istio.io/tlsMode": "istio"}
    assert list(view["containers"]) == ["istio-proxy"] and "terminationMessagePath" not in view["containers"]["istio-proxy"]
    assert view["containersOrder"] == ["app", "istio-proxy"]


def test_drift_ignores_api_server_defaults_and_shows_real_changes():
    running = _pod("proxyv2:1.20")
    same = _pod("proxyv2:1.20")
    same["spec"]["containers"][1]["env"][0]["valueFrom"]["fieldRef"].pop("apiVersion")
    assert preview.drift(running, same) == ""
    upgraded = preview.drift(running, _pod("proxyv2:1.24", native=True))
    assert "-    image: proxyv2:1.20" in upgraded and "+    image: proxyv2:1.24" in upgraded
    assert "+initContainersOrder:" in upgraded


def test_injectable_strips_server_state():
    pod = {"kind": "Pod", "metadata": {"name": "p", "uid": "u", "resourceVersion": "1", "managedFields": [],
                                       "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
           "spec": {"nodeName": "n1", "containers": []}, "status": {"phase": "Running"}}
    assert preview.injectable(pod) == {"kind": "Pod", "metadata": {"name": "p", "annotations": {}}, "spec": {"containers": []}}
