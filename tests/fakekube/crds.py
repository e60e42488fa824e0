"""CustomResourceDefinitions: the manifests Istio and Gateway API install, and how a stored CRD turns
into served resource types (apiextensions-apiserver: one REST endpoint per served version).

Storing a CRD object in the fake (`kube.add(crd(...))`, or any real CRD manifest loaded from YAML)
makes its kind served, exactly as `kubectl apply -f crd.yaml` does on a cluster; removing it stops
serving the kind and drops its objects.
"""

from __future__ import annotations

from collections.abc import Sequence

from .resources import PrinterColumn, ResourceType

# swaggerMetadataDescriptions["creationTimestamp"], which every CRD's Age column quotes.
_CREATION_DESCRIPTION = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. "
    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata")
AGE = PrinterColumn("Age", "date", ".metadata.creationTimestamp", _CREATION_DESCRIPTION)


def crd(group: str, kind: str, *, versions: Sequence[str], storage: str | None = None, plural: str | None = None,
        singular: str | None = None, namespaced: bool = True, short_names: Sequence[str] = (),
        categories: Sequence[str] = (), columns: Sequence[PrinterColumn] = (), status: bool = True,
        labels: dict | None = None) -> dict:
    """A CustomResourceDefinition manifest (apiextensions.k8s.io/v1) as the API server returns it once
    established. `versions` are served in that order; `storage` defaults to the first."""
    singular = singular or kind.lower()
    plural = plural or _plural(singular)
    names = {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": singular}
    if short_names:
        names["shortNames"] = list(short_names)
    if categories:
        names["categories"] = list(categories)
    storage = storage or versions[0]
    version_specs = []
    for name in versions:
        spec: dict = {"name": name, "served": True, "storage": name == storage,
                      "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}
        if columns:
            spec["additionalPrinterColumns"] = [_column_spec(c) for c in columns]
        if status:
            spec["subresources"] = {"status": {}}
        version_specs.append(spec)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}", "labels": dict(labels or {}), "generation": 1},
        "spec": {"group": group, "names": names, "scope": "Namespaced" if namespaced else "Cluster",
                 "versions": version_specs, "conversion": {"strategy": "None"}},
        "status": {
            "acceptedNames": names,
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                 "message": "no conflicts found", "lastTransitionTime": "2026-01-01T00:00:00Z"},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted", "lastTransitionTime": "2026-01-01T00:00:00Z"},
            ],
            "storedVersions": [storage],
        },
    }


def _plural(singular: str) -> str:
    """English plural as CRD authors write it (policy -> policies, gateway -> gateways, class -> classes)."""
    if singular.endswith("y") and singular[-2:-1] not in tuple("aeiou"):
        return singular[:-1] + "ies"
    if singular.endswith(("s", "x", "ch", "sh")):
        return singular + "es"
    return singular + "s"


def _column_spec(column: PrinterColumn) -> dict:
    spec = {"name": column.name, "type": column.type, "jsonPath": column.json_path}
    if column.description:
        spec["description"] = column.description
    if column.priority:
        spec["priority"] = column.priority
    if column.format:
        spec["format"] = column.format
    return spec


def resource_types(manifest: dict) -> tuple[ResourceType, ...]:
    """The resource types a CRD manifest serves, one per served version; ValueError when it is not valid."""
    spec = manifest.get("spec") or {}
    group, names = spec.get("group", ""), spec.get("names") or {}
    plural, kind = names.get("plural", ""), names.get("kind", "")
    name = (manifest.get("metadata") or {}).get("name", "")
    if not group or not plural or not kind:
        raise ValueError(f"CustomResourceDefinition {name!r} needs spec.group, spec.names.plural and .kind")
    if name != f"{plural}.{group}":
        raise ValueError(f'CustomResourceDefinition.apiextensions.k8s.io "{name}" is invalid: metadata.name: '
                         f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group')
    versions = spec.get("versions") or []
    if sum(1 for v in versions if v.get("storage")) != 1:
        raise ValueError(f"CustomResourceDefinition {name}: exactly one version must be the storage version")
    served = []
    for version in versions:
        if not version.get("served"):
            continue
        columns = tuple(PrinterColumn(c["name"], c["type"], c["jsonPath"], c.get("description", ""),
                                      c.get("priority", 0), c.get("format", ""))
                        for c in version.get("additionalPrinterColumns") or [])
        served.append(ResourceType(
            group, version["name"], plural, names.get("singular") or kind.lower(), kind,
            spec.get("scope", "Namespaced") == "Namespaced", tuple(names.get("shortNames") or ()),
            tuple(names.get("categories") or ()), custom=True, list_kind=names.get("listKind") or f"{kind}List",
            # apiextensions tableconvertor: a CRD without columns gets Age (serveDefaultColumnsIfEmpty).
            columns=columns or (AGE,), status_subresource="status" in (version.get("subresources") or {}),
        ))
    if not served:
        raise ValueError(f"CustomResourceDefinition {name}: no served version")
    return tuple(served)


# ---- What Istio installs (manifests/charts/base/files/crd-all.gen.yaml) ---------------------------
_ISTIO_LABELS = {"app.kubernetes.io/part-of": "istio", "app.kubernetes.io/name": "istio-base"}
_NETWORKING = ("networking.istio.io", ("v1", "v1alpha3", "v1beta1"), "v1alpha3", ("istio-io", "networking-istio-io"))
_SECURITY = ("security.istio.io", ("v1", "v1beta1"), "v1beta1", ("istio-io", "security-istio-io"))


def _istio(api: tuple, kind: str, short_names: Sequence[str] = (), columns: Sequence[PrinterColumn] = (),
           versions: Sequence[str] | None = None, storage: str | None = None) -> dict:
    group, default_versions, default_storage, categories = api
    return crd(group, kind, versions=versions or default_versions, storage=storage or default_storage,
               short_names=short_names, categories=categories, columns=(*columns, AGE) if columns else (),
               labels=_ISTIO_LABELS)


ISTIO_CRDS: tuple[dict, ...] = (
    _istio(_NETWORKING, "VirtualService", ("vs",), (
        PrinterColumn("Gateways", "string", ".spec.gateways",
                      "The names of gateways and sidecars that should apply these routes"),
        PrinterColumn("Hosts", "string", ".spec.hosts", "The destination hosts to which traffic is being sent"))),
    _istio(_NETWORKING, "DestinationRule", ("dr",), (
        PrinterColumn("Host", "string", ".spec.host", "The name of a service from the service registry"),)),
    _istio(_NETWORKING, "Gateway", ("gw",)),
    _istio(_NETWORKING, "ServiceEntry", ("se",), (
        PrinterColumn("Hosts", "string", ".spec.hosts", "The hosts associated with the ServiceEntry"),
        PrinterColumn("Location", "string", ".spec.location",
                      "Whether the service is external to the mesh or part of the mesh (MESH_EXTERNAL or "
                      "MESH_INTERNAL)"),
        PrinterColumn("Resolution", "string", ".spec.resolution",
                      "Service resolution mode for the hosts (NONE, STATIC, or DNS)"))),
    _istio(_NETWORKING, "Sidecar"),
    _istio(_NETWORKING, "EnvoyFilter", versions=("v1alpha3",)),
    _istio(_NETWORKING, "WorkloadEntry", ("we",), (
        PrinterColumn("Address", "string", ".spec.address", "Address associated with the network endpoint."),)),
    _istio(_SECURITY, "PeerAuthentication", ("pa",), (
        PrinterColumn("Mode", "string", ".spec.mtls.mode", "Defines the mTLS mode used for peer authentication."),)),
    _istio(_SECURITY, "AuthorizationPolicy", ("ap",), (
        PrinterColumn("Action", "string", ".spec.action", "The operation to take."),)),
    _istio(_SECURITY, "RequestAuthentication", ("ra",)),
)

# ---- Gateway API, standard channel (gateway-api config/crd/standard) ------------------------------
_GATEWAY_API = "gateway.networking.k8s.io"
_GATEWAY_LABELS = {"gateway.networking.k8s.io/bundle-version": "v1.2.1",
                   "gateway.networking.k8s.io/channel": "standard"}

GATEWAY_API_CRDS: tuple[dict, ...] = (
    crd(_GATEWAY_API, "GatewayClass", versions=("v1", "v1beta1"), namespaced=False,
        short_names=("gc",), categories=("gateway-api",), labels=_GATEWAY_LABELS, columns=(
            PrinterColumn("Controller", "string", ".spec.controllerName"),
            PrinterColumn("Accepted", "string", '.status.conditions[?(@.type=="Accepted")].status'),
            AGE,
            PrinterColumn("Description", "string", ".spec.description", priority=1))),
    crd(_GATEWAY_API, "Gateway", versions=("v1", "v1beta1"), short_names=("gtw",), categories=("gateway-api",),
        labels=_GATEWAY_LABELS, columns=(
            PrinterColumn("Class", "string", ".spec.gatewayClassName"),
            PrinterColumn("Address", "string", ".status.addresses[*].value"),
            PrinterColumn("Programmed", "string", '.status.conditions[?(@.type=="Programmed")].status'),
            AGE)),
    crd(_GATEWAY_API, "HTTPRoute", versions=("v1", "v1beta1"), categories=("gateway-api",), labels=_GATEWAY_LABELS,
        columns=(PrinterColumn("Hostnames", "string", ".spec.hostnames"), AGE)),
)

DEFAULT_CRDS: tuple[dict, ...] = ISTIO_CRDS + GATEWAY_API_CRDS


def custom_object(api_version: str, kind: str, name: str, namespace: str | None = "default", *,
                  spec: dict | None = None, labels: dict | None = None, annotations: dict | None = None,
                  status: dict | None = None) -> dict:
    """A custom resource, e.g. custom_object("networking.istio.io/v1", "VirtualService", "reviews",
    "bookinfo", spec={"hosts": ["reviews"], ...}); namespace None for cluster-scoped kinds."""
    meta: dict = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    obj = {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": dict(spec or {})}
    if status is not None:
        obj["status"] = status
    return obj
