"""Builders for realistic objects: Istio-injected pods, workloads (Deployment -> ReplicaSet -> Pods),
injector webhooks and ConfigMaps, shaped as a 1.32 cluster with Istio 1.2x returns them.

Every pod carries the fields the kubernetes python client's pydantic models require
(containerStatuses[].image/imageID/name/ready/restartCount, ...).
"""

from __future__ import annotations

import base64
import hashlib
import json

DEFAULT_PROXY_IMAGE = "docker.io/istio/proxyv2:1.24.2"
_IMAGE_ID = "docker.io/istio/proxyv2@sha256:" + "4f3c6a" * 10 + "abcd"
_STARTED = "2026-01-01T00:00:05Z"

SIDECAR_VOLUMES = ["workload-socket", "credential-socket", "workload-certs", "istio-envoy", "istio-data",
                   "istio-podinfo", "istio-token", "istiod-ca-cert"]


def _digest(*parts: str, n: int = 10) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


def _ip(*parts: str) -> str:
    # 24 bits of hash: fleets of thousands of pods get distinct IPs (meshctl matches endpoints by IP).
    h = hashlib.sha256("/".join(parts).encode()).digest()
    return f"10.{h[0]}.{h[1]}.{max(h[2], 2)}"


def istiod_service(revision: str | None) -> str:
    """istiod's service name for a revision: `istiod` or `istiod-<rev>` (istio manifests)."""
    return "istiod" if revision in (None, "", "default") else f"istiod-{revision}"


def sidecar_container(*, revision: str | None = None, image: str = DEFAULT_PROXY_IMAGE,
                      proxy_log_level: str = "warning", workload: str = "app", app_ports: tuple[int, ...] = (9080,),
                      trust_domain: str = "cluster.local") -> dict:
    """The `istio-proxy` container as the injector renders it (istio injection-template.yaml)."""
    discovery = f"{istiod_service(revision)}.istio-system.svc:15012"
    pod_ports = json.dumps([{"containerPort": p, "protocol": "TCP"} for p in app_ports])
    env = [
        {"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
        {"name": "CA_ADDR", "value": discovery},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
        {"name": "INSTANCE_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}},
        {"name": "SERVICE_ACCOUNT",
         "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.serviceAccountName"}}},
        {"name": "HOST_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.hostIP"}}},
        {"name": "ISTIO_CPU_LIMIT", "valueFrom": {"resourceFieldRef": {"divisor": "0", "resource": "limits.cpu"}}},
        {"name": "PROXY_CONFIG", "value": json.dumps({"discoveryAddress": discovery}) + "\n"},
        {"name": "ISTIO_META_POD_PORTS", "value": pod_ports},
        {"name": "ISTIO_META_APP_CONTAINERS", "value": workload},
        {"name": "GOMEMLIMIT", "valueFrom": {"resourceFieldRef": {"divisor": "0", "resource": "limits.memory"}}},
        {"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"divisor": "0", "resource": "limits.cpu"}}},
        {"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"},
        {"name": "ISTIO_META_NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}},
        {"name": "ISTIO_META_INTERCEPTION_MODE", "value": "REDIRECT"},
        {"name": "ISTIO_META_WORKLOAD_NAME", "value": workload},
        {"name": "ISTIO_META_MESH_ID", "value": trust_domain},
        {"name": "TRUST_DOMAIN", "value": trust_domain},
    ]
    return {
        "name": "istio-proxy",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local",
                 f"--proxyLogLevel={proxy_log_level}", "--proxyComponentLogLevel=misc:error",
                 "--log_output_level=default:info"],
        "env": env,
        "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
        "readinessProbe": {"failureThreshold": 4, "httpGet": {"path": "/healthz/ready", "port": 15021,
                                                                "scheme": "HTTP"},
                           "periodSeconds": 15, "successThreshold": 1, "timeoutSeconds": 3},
        "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                            "privileged": False, "readOnlyRootFilesystem": True, "runAsGroup": 1337,
                            "runAsNonRoot": True, "runAsUser": 1337},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [
            {"mountPath": "/var/run/secrets/workload-spiffe-uds", "name": "workload-socket"},
            {"mountPath": "/var/run/secrets/credential-uds", "name": "credential-socket"},
            {"mountPath": "/var/run/secrets/workload-spiffe-credentials", "name": "workload-certs"},
            {"mountPath": "/var/run/secrets/istio", "name": "istiod-ca-cert"},
            {"mountPath": "/var/lib/istio/data", "name": "istio-data"},
            {"mountPath": "/etc/istio/proxy", "name": "istio-envoy"},
            {"mountPath": "/var/run/secrets/tokens", "name": "istio-token"},
            {"mountPath": "/etc/istio/pod", "name": "istio-podinfo"},
        ],
    }


def _container_status(container: dict, ready: bool) -> dict:
    image = container.get("image", "busybox")
    return {
        "containerID": "containerd://" + _digest(image, container["name"], n=64),
        "image": image,
        "imageID": _IMAGE_ID if "proxyv2" in image else f"{image}@sha256:{_digest(image, n=64)}",
        "lastState": {},
        "name": container["name"],
        "ready": ready,
        "restartCount": 0,
        "started": True,
        "state": {"running": {"startedAt": _STARTED}},
    }


def pod(name: str, namespace: str = "default", *, labels: dict | None = None, annotations: dict | None = None,
        containers: list[dict] | None = None, init_containers: list[dict] | None = None,
        node: str = "node-1", phase: str = "Running", ready: bool = True, service_account: str = "default",
        owner: dict | None = None, ip: str | None = None) -> dict:
    """A scheduled, running Pod with status filled in as the kubelet reports it."""
    containers = containers or [{"name": "app", "image": "docker.io/library/nginx:1.27",
                                 "ports": [{"containerPort": 80, "protocol": "TCP"}]}]
    ip = ip or _ip(namespace, name)
    running = phase == "Running"
    conditions = [
        {"type": t, "status": "True" if (running and (ready or t in ("Initialized", "PodScheduled",
                                                                     "PodReadyToStartContainers"))) else "False",
         "lastProbeTime": None, "lastTransitionTime": _STARTED}
        for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
    ]
    meta: dict = {"name": name, "namespace": namespace, "labels": dict(labels or {})}
    if annotations:
        meta["annotations"] = dict(annotations)
    if owner:
        meta["ownerReferences"] = [owner]
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {
            "containers": containers,
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "nodeName": node,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "serviceAccount": service_account,
            "serviceAccountName": service_account,
            "terminationGracePeriodSeconds": 30,
        },
        "status": {
            "conditions": conditions,
            "hostIP": "172.18.0.2",
            "hostIPs": [{"ip": "172.18.0.2"}],
            "phase": phase,
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "qosClass": "Burstable",
            "startTime": _STARTED,
        },
    }
    if init_containers:
        obj["spec"]["initContainers"] = init_containers
        # The kubelet reports an init container that exited 0 as ready (and no longer started).
        obj["status"]["initContainerStatuses"] = [
            {**_container_status(c, True), "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                                                                     "startedAt": _STARTED, "finishedAt": _STARTED}},
             "started": False} for c in init_containers]
    if running:
        obj["status"]["containerStatuses"] = [_container_status(c, ready) for c in containers]
    return obj


def istio_pod(name: str, namespace: str = "default", *, app: str | None = None, version: str = "v1",
              revision: str | None = None, image: str = DEFAULT_PROXY_IMAGE, labels: dict | None = None,
              annotations: dict | None = None, app_ports: tuple[int, ...] = (9080,),
              service_account: str | None = None, owner: dict | None = None, **pod_kwargs) -> dict:
    """A sidecar-injected pod: app container + `istio-proxy` (+ `istio-init`), Istio labels and annotations.

    `revision=None` means the default revision (label `istio.io/rev: default`).
    """
    app = app or name.split("-")[0]
    rev = revision or "default"
    status_annotation = {"initContainers": ["istio-init"], "containers": ["istio-proxy"],
                         "volumes": SIDECAR_VOLUMES, "imagePullSecrets": None, "revision": rev}
    all_labels = {
        "app": app, "version": version,
        "security.istio.io/tlsMode": "istio",
        "service.istio.io/canonical-name": app,
        "service.istio.io/canonical-revision": version,
        "istio.io/rev": rev,
        **(labels or {}),
    }
    all_annotations = {
        "istio.io/rev": rev,
        "kubectl.kubernetes.io/default-container": app,
        "kubectl.kubernetes.io/default-logs-container": app,
        "prometheus.io/path": "/stats/prometheus",
        "prometheus.io/port": "15020",
        "prometheus.io/scrape": "true",
        "sidecar.istio.io/status": json.dumps(status_annotation, separators=(",", ":")),
        **(annotations or {}),
    }
    app_container = {"name": app, "image": f"docker.io/istio/examples-bookinfo-{app}-{version}:1.20.2",
                     "ports": [{"containerPort": p, "protocol": "TCP"} for p in app_ports]}
    init = {"name": "istio-init", "image": image,
            "args": ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*",
                     "-x", "", "-b", "*", "-d", "15090,15021,15020", "--log_output_level=default:info"]}
    return pod(name, namespace, labels=all_labels, annotations=all_annotations,
               containers=[app_container, sidecar_container(revision=revision, image=image,
                                                            workload=app, app_ports=app_ports)],
               init_containers=[init], service_account=service_account or f"bookinfo-{app}", owner=owner,
               **pod_kwargs)


def owner_reference(obj: dict, *, controller: bool = True) -> dict:
    """An ownerReference pointing at a stored or built object (uid must be set, e.g. by FakeKube.add)."""
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"], "controller": controller, "blockOwnerDeletion": True}


def workload(kube, name: str, namespace: str = "default", *, replicas: int = 1, kind: str = "Deployment",
             sidecar: bool = True, ready: bool = True, **pod_kwargs) -> list[dict]:
    """Add a Deployment (or StatefulSet/DaemonSet) with its ReplicaSet and pods to `kube`; returns the pods.

    Pods are named like the controllers name them (`<name>-<rs hash>-<suffix>`, `<name>-0`), owned
    through ownerReferences, and matched by the workload's selector (`app: <name>`).
    """
    app = pod_kwargs.pop("app", name)
    selector = {"matchLabels": {"app": app}}
    workload_obj = kube.add({
        "apiVersion": "apps/v1", "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": app}},
        "spec": {"replicas": replicas, "selector": selector,
                 "template": {"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": app,
                                                                                              "image": "app"}]}}},
        "status": {"replicas": replicas, "readyReplicas": replicas if ready else 0},
    })
    owner = workload_obj
    template_hash = _digest(namespace, name, n=10)
    if kind == "Deployment":
        owner = kube.add({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": f"{name}-{template_hash}", "namespace": namespace,
                         "labels": {"app": app, "pod-template-hash": template_hash},
                         "ownerReferences": [owner_reference(workload_obj)]},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app,
                                                                        "pod-template-hash": template_hash}}},
            "status": {"replicas": replicas, "readyReplicas": replicas if ready else 0},
        })
    extra_labels = pod_kwargs.pop("labels", {})
    pods = []
    build = istio_pod if sidecar else pod
    for i in range(replicas):
        if kind == "StatefulSet":
            pod_name, extra = f"{name}-{i}", {}
        else:
            pod_name = f"{name}-{template_hash}-{_digest(name, str(i), n=5)}"
            extra = {"pod-template-hash": template_hash} if kind == "Deployment" else {}
        labels = {"app": app, **extra, **extra_labels}
        kwargs = {"app": app} if sidecar else {}
        pods.append(kube.add(build(pod_name, namespace, labels=labels, owner=owner_reference(owner),
                                   ready=ready, **kwargs, **pod_kwargs)))
    return pods


def injector_webhook(revision: str | None = None, *, ca_bundle_pem: bytes = b"", namespace_selector: dict | None = None,
                     object_selector: dict | None = None, failure_policy: str = "Fail") -> dict:
    """A sidecar injector MutatingWebhookConfiguration as istiod's chart installs it (one webhook).

    Istio's chart installs four webhooks (rev/namespace/object combinations); one is enough to
    exercise selectors, and callers pass the selectors they want.
    """
    rev = revision or "default"
    name = "istio-sidecar-injector" if rev == "default" else f"istio-sidecar-injector-{rev}"
    path = "/inject" if rev == "default" else "/inject/cluster/Kubernetes/net/network1"
    ns_selector = namespace_selector if namespace_selector is not None else {
        "matchExpressions": [{"key": "istio-injection", "operator": "In", "values": ["enabled"]}]}
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": name, "labels": {"app": "sidecar-injector", "istio.io/rev": rev,
                                              "install.operator.istio.io/owning-resource": "unknown"}},
        "webhooks": [{
            "name": "rev.namespace.sidecar-injector.istio.io" if revision else "namespace.sidecar-injector.istio.io",
            "admissionReviewVersions": ["v1"],
            "clientConfig": {"service": {"name": istiod_service(revision), "namespace": "istio-system",
                                         "path": path, "port": 443},
                             "caBundle": base64.b64encode(ca_bundle_pem).decode()},
            "failurePolicy": failure_policy,
            "matchPolicy": "Equivalent",
            "namespaceSelector": ns_selector,
            "objectSelector": object_selector if object_selector is not None else {
                "matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}]},
            "reinvocationPolicy": "Never",
            "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"],
                       "scope": "*"}],
            "sideEffects": "None",
            "timeoutSeconds": 10,
        }],
    }


def configmap(name: str, namespace: str, data: dict[str, str], *, labels: dict | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {})}, "data": data}


def namespace(name: str, labels: dict | None = None) -> dict:
    """A Namespace; e.g. namespace("default", {"istio-injection": "enabled"})."""
    from .store import namespace_object

    return namespace_object(name, labels)


def mesh(kube, pods: int, *, namespaces: int = 10, apps_per_namespace: int = 5, revision: str | None = None) -> list[dict]:
    """Fill `kube` with `pods` sidecar pods spread over Deployments in `mesh-<i>` namespaces
    (labelled istio-injection=enabled), for fleet benchmarks. Returns the pods."""
    workloads = [(f"mesh-{n}", f"app{a}") for n in range(namespaces) for a in range(apps_per_namespace)]
    counts = [pods // len(workloads) + (1 if i < pods % len(workloads) else 0) for i in range(len(workloads))]
    added: list[dict] = []
    for (ns, app), count in zip(workloads, counts):
        if count:
            kube.add(namespace(ns, {"istio-injection": "enabled"}))
            added += workload(kube, app, ns, replicas=count, revision=revision)
    return added
