"""Istio's sidecar injection, reproduced as a pure pipeline (pkg/kube/inject/inject.go, webhook.go).

``inject_text(text, config)`` is ``IntoResourceFile``: it splits the input into documents, decodes
the workload kinds Istio knows (anything else passes through byte for byte), finds each pod
template, decides whether to inject, renders the selected templates, strategic-merges them onto the
pod, post-processes (cluster env, prometheus merge, probe rewriting, status annotation, container
order) and writes every object back the way ``sigs.k8s.io/yaml`` writes Go's typed object.
No I/O happens here: the templates, values, mesh config and settings come in an InjectionConfig.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from meshctl.errors import DecodeError
from meshctl.goenc import gojson, goyaml
from meshctl.inject import kubetypes, meshconfig, probes, smp
from meshctl.inject.validation import validate_annotations

PROXY = "istio-proxy"
INIT = "istio-init"
VALIDATION = "istio-validation"
ENABLE_CORE_DUMP = "enable-core-dump"
STATUS_ANNOTATION = "sidecar.istio.io/status"
OVERRIDES_ANNOTATION = "proxy.istio.io/overrides"
PROXY_CONFIG_ANNOTATION = "proxy.istio.io/config"
TEMPLATES_ANNOTATION = "inject.istio.io/templates"
NATIVE_ANNOTATION = "sidecar.istio.io/nativeSidecar"
# pkg/kube/inject IgnoredNamespaces.
IGNORED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "local-path-storage")
_CRONJOB_NAME = re.compile(r"(.+)-\d{8,10}$")


class InjectionError(DecodeError):
    """The injector refused the input (bad template output, unknown template, ...)."""


@dataclass
class InjectionConfig:
    """Everything injection depends on; built by meshctl.inject.config from files or a cluster."""

    templates: Mapping  # name -> parsed template (meshctl.gotemplate.Template), e.g. config.ParsedTemplates
    values: dict  # the ConfigMap `values`, decoded as Go's map[string]any (numbers are floats)
    mesh: dict  # MeshConfig (protobuf JSON form) with Istio's defaults applied
    revision: str = ""
    native_sidecars: bool = False
    compliance_policy: str = ""
    # OpenShift: the UID/GID its SCC assigns in the pod's namespace (GetProxyIDs), used for the proxy.
    platform_proxy_ids: tuple | None = None
    default_templates: tuple = ("sidecar",)
    aliases: dict = field(default_factory=dict)
    injected_annotations: dict = field(default_factory=dict)
    # An admission webhook to ask first (istioctl's ExternalInjector): (pod, namespace) -> JSONPatch or None.
    external_injector: object = None


@dataclass
class PodDecision:
    """What injection decided for one pod template (the --explain panel)."""

    workload: str
    injected: bool
    reason: str = ""
    templates: list = field(default_factory=list)
    native_sidecar: bool = False
    # (what was decided, what decided it) pairs, in the order injection made them
    notes: list = field(default_factory=list)


@dataclass
class InjectionResult:
    """The injected text, the warnings istioctl prints, and the decisions behind it (--explain)."""
    text: str
    decisions: list
    warnings: list


# --------------------------------------------------------------------------- documents

def inject_text(text: str, config: InjectionConfig, render) -> InjectionResult:
    """IntoResourceFile: every document of `text`, injected, each followed by ``---``.

    `render(template, data_inputs) -> str` executes one parsed template (see template_data.py).
    """
    out, decisions, warnings = [], [], []
    for raw in goyaml.split_documents(text):
        try:
            obj = goyaml.unmarshal(raw, float_numbers=False)
        except goyaml.YAMLError as exc:
            raise DecodeError(f"cannot parse input document: {exc}") from None
        if not kubetypes.is_workload(obj):
            if isinstance(obj, dict) and not obj.get("kind"):
                raise DecodeError("Object 'Kind' is missing in input document")
            out.append(raw if raw.endswith("\n") else raw + "\n")
        else:
            injected = into_object(obj, config, render, decisions, warnings)
            out.append(goyaml.marshal(injected))
        out.append("---\n")
    return InjectionResult("".join(out), decisions, warnings)


def into_object(obj: dict, config: InjectionConfig, render, decisions: list, warnings: list) -> dict:
    """IntoObject: the object with its pod template injected (Lists recurse into their items)."""
    out = copy.deepcopy(obj)
    kind = out.get("kind")
    if kind == "List":
        items = []
        for item in out.get("items") or []:
            if kubetypes.is_workload(item):
                item = kubetypes.normalize(into_object(item, config, render, decisions, warnings))
            items.append(item)
        out["items"] = items
        return kubetypes.normalize(out)
    type_meta = {"apiVersion": out.get("apiVersion", ""), "kind": kind}
    meta = out.setdefault("metadata", {}) or {}
    if kind == "CronJob":
        # inject.go IntoObject: a CronJob's pod metadata is taken from (and written back to) the
        # jobTemplate's metadata, not the pod template's; only the spec is the pod template's.
        job_template = out.setdefault("spec", {}).setdefault("jobTemplate", {})
        meta_holder = job_template
        holder = job_template.setdefault("spec", {}).setdefault("template", {})
        deploy_meta = {"name": meta.get("name", ""), "namespace": meta.get("namespace", "")}
    elif kind == "Pod":
        holder = meta_holder = out
        deploy_meta, type_meta = deploy_meta_from_pod(out)
    else:
        spec = out.setdefault("spec", {})
        if spec.get("template") is None:
            raise InjectionError(f"{kind} {meta.get('name', '')!r}: spec.template is required value")
        holder = meta_holder = spec["template"]
        deploy_meta = {"name": meta.get("name", ""), "namespace": meta.get("namespace", "")}
    pod_meta = meta_holder.get("metadata") or {}
    pod_spec = holder.get("spec") or {}
    name = pod_meta.get("name") or deploy_meta["name"]
    full_name = f"{deploy_meta['namespace']}/{name}" if deploy_meta["namespace"] else name
    quoted = gojson.marshal(full_name)  # istioctl prints the name with %q
    label = f"{kind} {quoted}" if kind else quoted

    if pod_spec.get("hostNetwork"):
        warnings.append(f"===> Skipping injection because {label} has host networking enabled")
        decisions.append(PodDecision(label, False, "hostNetwork: true (iptables would change the node's routing)"))
        return kubetypes.normalize(out)
    pod = kubetypes.normalize_struct("Pod", {"metadata": copy.deepcopy(pod_meta), "spec": copy.deepcopy(pod_spec)})
    if config.platform_proxy_ids is not None:
        # pkg/kube/inject/webhook.go: (*Webhook).inject, the OpenShift branch. OpenShift gives every
        # container of the pod the same RunAsUser; when istio-proxy's equals the app's, Istio drops
        # istio-proxy's RunAsUser and RunAsGroup (interception needs the proxy's own UID). A
        # different RunAsUser the user chose for istio-proxy is kept.
        sidecar = find_sidecar(pod)
        if sidecar is not None and sidecar.get("securityContext") is not None and sidecar_user_matches_app_user(pod):
            sidecar["securityContext"].pop("runAsUser", None)
            sidecar["securityContext"].pop("runAsGroup", None)
    if config.external_injector is not None:
        patch = config.external_injector(pod, pod_meta.get("namespace") or deploy_meta["namespace"])
        if patch:
            # Like kube-inject: the webhook's patch is applied; only without one does the local injector run.
            import jsonpatch

            try:
                patched = jsonpatch.apply_patch(pod, patch)
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
                raise InjectionError(f"cannot apply the webhook's patch to {label}: {exc}") from None
            patched = kubetypes.normalize_struct("Pod", patched)
            meta_holder["metadata"], holder["spec"] = patched["metadata"], patched["spec"]
            decisions.append(PodDecision(label, True, templates=["(the cluster's injector webhook)"]))
            return kubetypes.normalize(out)
    mesh = config.mesh
    annotations = pod["metadata"].get("annotations") or {}
    decision = PodDecision(label, True)
    if PROXY_CONFIG_ANNOTATION in annotations:
        mesh = apply_proxy_config_annotation(annotations[PROXY_CONFIG_ANNOTATION], mesh)
        decision.notes.append(("ProxyConfig overridden", f"annotation {PROXY_CONFIG_ANNOTATION}"))
    required, reason = inject_required(pod)
    if not required:
        warnings.append(f"===> Skipping injection because {label} has sidecar injection disabled")
        decisions.append(PodDecision(label, False, reason))
        return kubetypes.normalize(out)
    params = InjectionParameters(
        pod=pod, deploy_meta=deploy_meta, type_meta=type_meta, config=config, mesh=mesh,
        proxy_config=mesh.get("defaultConfig") or {}, decision=decision,
    )
    merged = inject_pod(params, render)
    explain(params, merged)
    decisions.append(decision)
    meta_holder["metadata"] = merged["metadata"]
    holder["spec"] = merged["spec"]
    return kubetypes.normalize(out)


def deploy_meta_from_pod(pod: dict) -> tuple[dict, dict]:
    """kube.GetDeployMetaFromPod: the owning workload's name and kind, from owner references."""
    meta = pod.get("metadata") or {}
    labels = meta.get("labels") or {}
    deploy = {"name": meta.get("name", ""), "namespace": meta.get("namespace", "")}
    type_meta = {"apiVersion": "v1", "kind": "Pod"}
    if meta.get("generateName"):
        ref = next((r for r in meta.get("ownerReferences") or [] if r.get("controller")), None)
        if ref is not None:
            type_meta = {"apiVersion": ref.get("apiVersion", ""), "kind": ref.get("kind", "")}
            deploy["name"] = ref.get("name", "")
            pth = labels.get("pod-template-hash", "")
            if type_meta["kind"] == "ReplicaSet" and pth and deploy["name"].endswith(pth):
                deploy["name"] = deploy["name"][: -len(pth) - 1]
                type_meta["kind"] = "Deployment"
            elif type_meta["kind"] == "ReplicationController" and labels.get("deploymentconfig"):
                deploy["name"] = labels["deploymentconfig"]
                type_meta["kind"] = "DeploymentConfig"
            elif type_meta["kind"] == "Job":
                m = _CRONJOB_NAME.match(deploy["name"])
                if m:
                    deploy["name"] = m.group(1)
                    type_meta = {"apiVersion": "batch/v1", "kind": "CronJob"}
    if not deploy["name"]:
        deploy["name"] = meta.get("name", "")
    return deploy, type_meta


def apply_proxy_config_annotation(text: str, mesh: dict) -> dict:
    """mesh.ApplyProxyConfig: the pod's proxy.istio.io/config merged onto the mesh's defaultConfig."""
    try:
        overlay = goyaml.unmarshal(text, float_numbers=False)
    except goyaml.YAMLError as exc:
        raise InjectionError(f"invalid {PROXY_CONFIG_ANNOTATION} annotation: {exc}") from None
    if overlay is not None and not isinstance(overlay, dict):
        raise InjectionError(f"invalid {PROXY_CONFIG_ANNOTATION} annotation: not an object")
    mesh = dict(mesh)
    mesh["defaultConfig"] = meshconfig.merge_proxy_config(mesh.get("defaultConfig") or {}, overlay)
    return mesh


def inject_required(pod: dict, policy: str = "enabled") -> tuple[bool, str]:
    """inject.go injectRequired with kube-inject's Config{Policy: enabled}: (inject?, why).

    Only "true" and "false" decide (the label wins over the annotation); any other value is
    logged by Istio as invalid and falls back to the policy, as an absent one does. kube-inject
    has no Never/AlwaysInjectSelector.
    """
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    if spec.get("hostNetwork"):
        return False, "hostNetwork: true"
    if meta.get("namespace") in IGNORED_NAMESPACES:
        return False, f"namespace {meta['namespace']} is never injected"
    selector = (meta.get("annotations") or {}).get("sidecar.istio.io/inject", "")
    source = "annotation sidecar.istio.io/inject"
    labels = meta.get("labels") or {}
    if "sidecar.istio.io/inject" in labels:
        selector, source = labels["sidecar.istio.io/inject"], "label sidecar.istio.io/inject"
    if selector in ("true", "false"):
        return selector == "true", f"{source}={selector!r}"
    why = "no sidecar.istio.io/inject label or annotation" if selector == "" else f"{source}={selector!r} is neither 'true' nor 'false'"
    return policy == "enabled", f"policy {policy} ({why})"


# --------------------------------------------------------------------------- one pod

@dataclass
class InjectionParameters:
    """inject.go InjectionParameters: everything one pod's injection reads."""
    pod: dict
    deploy_meta: dict
    type_meta: dict
    config: InjectionConfig
    mesh: dict
    proxy_config: dict
    decision: PodDecision
    proxy_envs: dict = field(default_factory=dict)

    @property
    def values(self) -> dict:
        """The injector's values (the ConfigMap's `values`)."""
        return self.config.values

    def value(self, *path, default=None):
        """The value at `path` in the injector's values, or `default` when absent or null."""
        v = self.config.values
        for p in path:
            if not isinstance(v, dict):
                return default
            v = v.get(p)
        return default if v is None else v

    @property
    def status_port(self) -> int:
        """The proxy's status port (ProxyConfig statusPort)."""
        return int(self.proxy_config.get("statusPort") or 0)


def sidecar_user_matches_app_user(pod: dict) -> bool:
    """pkg/kube/inject/webhook.go: isSidecarUserMatchingAppUser.

    istio-proxy's RunAsUser against the last other container's that sets one (containers, then
    init containers, istio-init and istio-validation excepted); an unset one counts as 0.
    """
    spec = pod.get("spec") or {}
    sidecar_user = app_user = 0
    for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        user = (container.get("securityContext") or {}).get("runAsUser")
        if container.get("name") == PROXY:
            sidecar_user = user if user is not None else sidecar_user
        elif container.get("name") not in (VALIDATION, INIT) and user is not None:
            app_user = user
    return sidecar_user == app_user


def native_sidecar_for(params: InjectionParameters) -> bool:
    """pkg/kube/inject/inject.go: RunTemplate. The annotation decides only when exactly "true" or "false"."""
    value = (params.pod["metadata"].get("annotations") or {}).get(NATIVE_ANNOTATION)
    if value == "true":
        return True
    if value == "false":
        return False
    return params.config.native_sidecars


def inject_pod(params: InjectionParameters, render) -> dict:
    """injectPod: run the templates, re-apply user container overrides, post-process."""
    merged, template_pod = run_templates(params, render)
    merged = reapply_overwritten_containers(merged, params.pod, template_pod)
    adjust_init_container_user(merged, params.pod, params.proxy_config)
    post_process(merged, template_pod, params)
    return merged


def parse_status(pod: dict) -> dict | None:
    """The pod's sidecar.istio.io/status annotation, parsed; None when absent."""
    value = (pod["metadata"].get("annotations") or {}).get(STATUS_ANNOTATION)
    if value is None:
        return None
    try:
        status = gojson.unmarshal(value)
    except ValueError:
        return None
    return status if isinstance(status, dict) else None


def strip_pod(params: InjectionParameters) -> dict:
    """inject.go stripPod: on re-injection, drop what the previous injection added (for the template's view)."""
    prev = parse_status(params.pod)
    if prev is None:
        return params.pod
    pod = copy.deepcopy(params.pod)
    spec = pod["spec"]
    for key, names in (("containers", prev.get("containers")), ("initContainers", prev.get("initContainers"))):
        drop = set(names or ())
        if spec.get(key):
            spec[key] = [c for c in spec[key] if c.get("name") not in drop]
    annotations = pod["metadata"].setdefault("annotations", {})
    current = _prometheus_annotations(annotations, _PROMETHEUS_PORT)
    if current and current[0][1] == str(params.status_port):
        clear_prometheus_annotations(annotations)
    annotations.pop(STATUS_ANNOTATION, None)
    return pod


def reinsert_overrides(pod: dict) -> dict:
    """reinsertOverrides: containers saved in proxy.istio.io/overrides come back for the template's view."""
    text = (pod["metadata"].get("annotations") or {}).get(OVERRIDES_ANNOTATION)
    if text is None:
        return pod
    try:
        overrides = goyaml.unmarshal(text, float_numbers=False) or {}
    except goyaml.YAMLError as exc:
        raise InjectionError(f"invalid {OVERRIDES_ANNOTATION} annotation: {exc}") from None
    pod = copy.deepcopy(pod)
    for key in ("containers", "initContainers"):
        present = {c.get("name") for c in pod["spec"].get(key) or []}
        for c in overrides.get(key) or []:
            if c.get("name") not in present:
                pod["spec"].setdefault(key, []).append(kubetypes.normalize_struct("Container", c))
    return pod


def select_templates(params: InjectionParameters) -> list[str]:
    """inject.go selectTemplates: the templates the pod asks for, else the config's defaults."""
    annotations = params.pod["metadata"].get("annotations") or {}
    if TEMPLATES_ANNOTATION in annotations:
        names = [n.strip() for n in annotations[TEMPLATES_ANNOTATION].split(",")]
    else:
        names = list(params.config.default_templates)
    resolved = []
    for n in names:
        resolved.extend(params.config.aliases.get(n, [n]))
    return resolved


def _find(containers, name):
    return next((c for c in containers or () if c.get("name") == name), None)


def _move_container(src: list, dst: list, name: str) -> tuple[list, list]:
    c = _find(src, name)
    if c is None:
        return src, dst
    return [x for x in src if x.get("name") != name], [*dst, c]


def run_templates(params: InjectionParameters, render) -> tuple[dict, dict]:
    """RunTemplate: validate annotations, render each selected template and overlay it on the pod."""
    annotations = params.pod["metadata"].get("annotations") or {}
    validate_annotations(annotations)
    cluster = params.value("global", "multiCluster", "clusterName", default="")
    network = params.value("global", "network", default="")
    if cluster:
        params.proxy_envs["ISTIO_META_CLUSTER_ID"] = cluster
    if network:
        params.proxy_envs["ISTIO_META_NETWORK"] = network
    stripped = reinsert_overrides(strip_pod(params))
    native = native_sidecar_for(params)
    merged = params.pod
    template_pod: dict = {}
    names = select_templates(params)
    params.decision.templates = names
    for name in names:
        template = params.config.templates.get(name)
        if template is None:
            known = ", ".join(sorted(params.config.templates))
            raise InjectionError(f"requested template {name!r} not found; have {known}")
        rendered = render(template, _template_inputs(params, stripped))
        try:
            overlay = goyaml.unmarshal(rendered, float_numbers=False)
        except goyaml.YAMLError as exc:
            raise InjectionError(f"failed applying injection overlay: template {name!r} rendered invalid YAML: {exc}") from None
        if overlay is None:
            overlay = {}
        if not isinstance(overlay, dict):
            raise InjectionError(f"failed applying injection overlay: template {name!r} did not render an object")
        template_pod = _overlay(template_pod, overlay)
        # Native sidecars put istio-proxy under initContainers; a user's istio-proxy customisation
        # sits in containers, so move it across before merging (inject.go RunTemplate).
        t_spec, m_spec = template_pod.get("spec") or {}, merged.get("spec") or {}
        if native and _find(t_spec.get("initContainers"), PROXY) and _find(m_spec.get("containers"), PROXY):
            merged = copy.deepcopy(merged)
            merged["spec"]["containers"], merged["spec"]["initContainers"] = _move_container(
                merged["spec"].get("containers") or [], merged["spec"].get("initContainers") or [], PROXY
            )
        merged = _overlay(merged, overlay)
    # What the templates did (Istio's read the annotation as "anything but false"), for --explain.
    params.decision.native_sidecar = _find((merged.get("spec") or {}).get("initContainers"), PROXY) is not None
    return merged, template_pod


def _overlay(pod: dict, overlay: dict) -> dict:
    """applyOverlayYAML: strategic merge, then Go's typed Pod decode."""
    try:
        patched = smp.patch_pod(pod, overlay)
    except smp.PatchError as exc:
        raise InjectionError(f"failed applying injection overlay: strategic merge: {exc}") from None
    return kubetypes.normalize_struct("Pod", {k: v for k, v in patched.items() if k in ("metadata", "spec", "status")})


def _template_inputs(params: InjectionParameters, stripped: dict) -> dict:
    """The plain inputs of SidecarTemplateData (template_data.py turns them into Go-typed values)."""
    values = params.values
    mesh = params.mesh
    annotations = stripped["metadata"].get("annotations") or {}
    mode = ((mesh.get("inboundTrafficPolicy") or {}).get("mode") or "PASSTHROUGH").lower()
    # pkg/kube/inject/inject.go: RunTemplate takes GetProxyIDs(namespace): 1337/1337 unless the
    # namespace carries OpenShift's SCC ranges (the webhook on OpenShift). A runAsUser the user set
    # on istio-proxy is applied after the templates (adjust_init_container_user).
    proxy_ids = params.config.platform_proxy_ids or (DEFAULT_PROXY_ID, DEFAULT_PROXY_ID)
    return {
        "TypeMeta": params.type_meta,
        "DeploymentMeta": params.deploy_meta,
        "ObjectMeta": stripped["metadata"],
        "Spec": stripped["spec"],
        "ProxyConfig": params.proxy_config,
        "MeshConfig": mesh,
        "Values": values,
        "Revision": params.config.revision,
        "ProxyImage": proxy_image(values, params.proxy_config.get("image"), annotations, "proxy"),
        "ProxyInitImage": proxy_image(values, params.proxy_config.get("image"), annotations, "proxy_init"),
        "ProxyUID": proxy_ids[0],
        "ProxyGID": proxy_ids[1],
        "InboundTrafficPolicyMode": mode,
        "CompliancePolicy": params.config.compliance_policy,
        "NativeSidecars": params.config.native_sidecars,  # the flag: templates read the annotation themselves
    }


DEFAULT_PROXY_ID = 1337  # pkg/config/constants DefaultProxyUIDInt
UID_RANGE_ANNOTATION = "openshift.io/sa.scc.uid-range"
SUPPLEMENTAL_GROUPS_ANNOTATION = "openshift.io/sa.scc.supplemental-groups"


def openshift_proxy_ids(namespace_annotations: dict) -> tuple[int, int]:
    """pkg/kube/inject/inject.go: GetProxyIDs, with openshift.go's getPreallocatedUIDRange and
    getPreallocatedSupplementalGroups: the end of the namespace's UID range, and the end of its
    first supplemental group block (the UID range when that annotation is absent); 1337 for
    either when the annotations are missing or malformed."""
    annotations = namespace_annotations or {}
    uid = gid = DEFAULT_PROXY_ID
    try:
        uid = parse_block(annotations[UID_RANGE_ANNOTATION])[1]
    except (KeyError, ValueError):
        pass
    groups = annotations.get(SUPPLEMENTAL_GROUPS_ANNOTATION, annotations.get(UID_RANGE_ANNOTATION))
    if groups:
        try:
            blocks = [parse_block(segment) for segment in groups.split(",")]
        except ValueError:
            blocks = []
        if blocks:
            gid = blocks[0][1]
    return uid, gid


def parse_block(text: str) -> tuple[int, int]:
    """pkg/kube/inject/openshift.go: ParseBlock. "start/size" or "start-end" -> (start, end).

    Raises:
        ValueError: neither form (Go's fmt.Sscanf error), or a number that is not a uint32.
    """
    separator = "/" if "/" in text else "-"
    match = re.match(r"\s*([+]?\d+)" + re.escape(separator) + r"([+]?\d+)", text)
    if match is None:
        raise ValueError(f"block {text!r} not in the format <start>{separator}<{'size' if separator == '/' else 'end'}>")
    first, second = int(match.group(1)), int(match.group(2))
    if first >= 2**32 or second >= 2**32:
        raise ValueError(f"block {text!r}: value out of range")
    end = (first + second - 1) % 2**32 if separator == "/" else second  # uint32 arithmetic
    return first, end


_KNOWN_IMAGE_TYPES = ("distroless", "debug")


def proxy_image(values: dict, image: dict | None, annotations: dict, which: str) -> str:
    """ProxyImage/ProxyInitImage: hub/name:tag[-variant], as Istio builds it for the templates."""
    from meshctl.goenc.gofmt import sprint

    glob = values.get("global") or {}
    tag = "" if glob.get("tag") is None else sprint(glob.get("tag"))
    image_type = (image or {}).get("imageType") if image else glob.get("variant") or ""
    name = (glob.get(which) or {}).get("image") or "proxyv2"
    image_type = annotations.get("sidecar.istio.io/proxyImageType", image_type) or ""
    if image_type:
        for known in _KNOWN_IMAGE_TYPES:
            if tag.endswith("-" + known):
                tag = tag[: -len(known) - 1]
                break
        if image_type != "default":
            tag = f"{tag}-{image_type}"
    return f"{glob.get('hub', '')}/{name}:{tag}"


# --------------------------------------------------------------------------- after the templates

def interception_mode(params: InjectionParameters) -> str:
    """REDIRECT, TPROXY or NONE: the pod's annotation, else the proxy config's."""
    annotations = params.pod["metadata"].get("annotations") or {}
    return annotations.get("sidecar.istio.io/interceptionMode") or params.proxy_config.get("interceptionMode") or "REDIRECT"


def reapply_overwritten_containers(final: dict, original: dict, template_pod: dict) -> dict:
    """pkg/kube/inject/webhook.go: reapplyOverwrittenContainers. A user's own istio-proxy/istio-init
    settings win over the template's (saved in proxy.istio.io/overrides for re-injection)."""
    annotations = original["metadata"].get("annotations") or {}
    existing = {}
    if OVERRIDES_ANNOTATION in annotations:
        try:
            existing = goyaml.unmarshal(annotations[OVERRIDES_ANNOTATION], float_numbers=False) or {}
        except goyaml.YAMLError as exc:
            raise InjectionError(f"invalid {OVERRIDES_ANNOTATION} annotation: {exc}") from None
    injected = parse_status(original) or {}
    already_injected = STATUS_ANNOTATION in annotations
    overrides = {"containers": [], "initContainers": []}
    for key in ("containers", "initContainers"):
        for c in (template_pod.get("spec") or {}).get(key) or []:
            if c.get("name") in (injected.get(key) or ()):
                continue
            match = _find(existing.get(key), c["name"])
            if match is None:
                spec = original.get("spec") or {}
                match = _find(spec.get("containers"), c["name"]) or _find(spec.get("initContainers"), c["name"])
            if match is None:
                continue
            overlay = kubetypes.normalize_struct("Container", copy.deepcopy(match))
            if overlay.get("image") == "auto":
                overlay.pop("image")
            overrides[key].append(overlay)
            final = _overlay(final, {"spec": {key: [overlay]}})
    if (overrides["containers"] or overrides["initContainers"]) and not already_injected:
        saved = gojson.StructFields(
            (k, [_container_json(c) for c in v]) for k, v in overrides.items() if v
        )
        final["metadata"].setdefault("annotations", {})[OVERRIDES_ANNOTATION] = gojson.marshal(saved)
    return final


def adjust_init_container_user(final: dict, original: dict, proxy_config: dict) -> None:
    """pkg/kube/inject/webhook.go: adjustInitContainerUser (in place).

    When the user's own istio-proxy sets RunAsUser/RunAsGroup: with TPROXY the proxy must run as
    root (RunAsUser 0); otherwise istio-validation runs as the proxy's user and group. In every
    mode a non-zero RunAsUser replaces the UID after ``-u`` (the user iptables lets through) in
    istio-init or istio-validation.
    """
    user = find_sidecar(original)
    context = (user or {}).get("securityContext") or {}
    run_as_user, run_as_group = context.get("runAsUser"), context.get("runAsGroup")
    if user is None or (run_as_user is None and run_as_group is None):
        return
    inits = (final.get("spec") or {}).get("initContainers")
    init = _find(inits, INIT) or _find(inits, VALIDATION)
    if init is None:
        return  # Istio logs "Could not find either istio-init or istio-validation container"
    tproxy = proxy_config.get("interceptionMode") == "TPROXY" or (final["metadata"].get("annotations") or {}).get("sidecar.istio.io/interceptionMode") == "TPROXY"
    if tproxy and run_as_user is not None:
        sidecar = find_sidecar(final)
        if sidecar is None:
            return
        sidecar.setdefault("securityContext", {})["runAsUser"] = 0
    if not tproxy and init.get("name") == VALIDATION:
        init_context = init.setdefault("securityContext", {})
        if run_as_user is not None:
            init_context["runAsUser"] = run_as_user
        if run_as_group is not None:
            init_context["runAsGroup"] = run_as_group
    if not run_as_user:
        return
    args = init.get("args") or []
    if "-u" in args[:-1]:
        args[args.index("-u") + 1] = str(run_as_user)


def _container_json(c: dict):
    """A corev1.Container for gojson: encoding/json writes it in Go field order at every level."""
    from meshctl.inject.template_data import kube_class

    return kube_class("Container").from_json(c)


def post_process(pod: dict, template_pod: dict, params: InjectionParameters) -> None:
    """postProcessPod (in place): cluster env, prometheus merge, probes, status annotation, order."""
    meta = pod["metadata"]
    meta.setdefault("annotations", {})
    meta.setdefault("labels", {})
    sidecar = find_sidecar(pod)
    if sidecar is not None and params.proxy_envs:
        env = [e for e in sidecar.get("env") or [] if e.get("name") not in params.proxy_envs]
        env += [{"name": k, "value": params.proxy_envs[k]} for k in sorted(params.proxy_envs)]
        sidecar["env"] = env
    if apply_prometheus_merge(pod, params):
        why = "annotation prometheus.istio.io/merge-metrics" if "prometheus.istio.io/merge-metrics" in meta["annotations"] else "mesh enablePrometheusMerge"
        params.decision.notes.append(("prometheus scrape moved to the agent's merged metrics (:15020)", why))
    apply_secure_prometheus_annotation(pod)
    if sidecar is not None and probes.should_rewrite(
        meta["annotations"], params.value("sidecarInjectorWebhook", "rewriteAppHTTPProbe", default=False)
    ):
        prober = probes.dump_app_probers(pod, params.status_port)
        if prober:
            previously_injected = STATUS_ANNOTATION in meta["annotations"]
            sidecar["env"] = probes.merge_probers(sidecar.get("env") or [], prober, previously_injected)
            why = ("annotation sidecar.istio.io/rewriteAppHTTPProbers" if "sidecar.istio.io/rewriteAppHTTPProbers" in meta["annotations"]
                   else "values sidecarInjectorWebhook.rewriteAppHTTPProbe")
            params.decision.notes.append((f"app probes rewritten to the agent: {', '.join(sorted(gojson.unmarshal(prober)))}", why))
        status_port = params.status_port
        if "status.sidecar.istio.io/port" in meta["annotations"]:
            try:
                status_port = int(meta["annotations"]["status.sidecar.istio.io/port"])
            except ValueError:
                status_port = 0
        probes.rewrite_probes(pod, status_port)
    if "ISTIO_META_NETWORK" in params.proxy_envs:
        meta["labels"]["topology.istio.io/network"] = params.proxy_envs["ISTIO_META_NETWORK"]
    meta["annotations"][STATUS_ANNOTATION] = injection_status(template_pod, params.config.revision)
    meta["annotations"].update(params.config.injected_annotations)
    reorder_pod(pod, params)


_IPTABLES_FLAGS = {
    "-b": ("inbound ports captured", "traffic.sidecar.istio.io/includeInboundPorts", "global.proxy.includeInboundPorts"),
    "-d": ("inbound ports excluded", "traffic.sidecar.istio.io/excludeInboundPorts", "global.proxy.excludeInboundPorts + status port"),
    "-i": ("outbound IP ranges captured", "traffic.sidecar.istio.io/includeOutboundIPRanges", "global.proxy.includeIPRanges"),
    "-x": ("outbound IP ranges excluded", "traffic.sidecar.istio.io/excludeOutboundIPRanges", "global.proxy.excludeIPRanges"),
    "-o": ("outbound ports excluded", "traffic.sidecar.istio.io/excludeOutboundPorts", "global.proxy.excludeOutboundPorts"),
    "-q": ("outbound ports captured", "traffic.sidecar.istio.io/includeOutboundPorts", "global.proxy.includeOutboundPorts"),
}


def explain(params: InjectionParameters, pod: dict) -> None:
    """Add what decided native sidecars, interception and the iptables ports to the decision notes."""
    annotations = params.pod["metadata"].get("annotations") or {}
    decision = params.decision

    def source(annotation: str, otherwise: str) -> str:
        return f"annotation {annotation}" if annotation in annotations else otherwise

    native_why = source(NATIVE_ANNOTATION, "--native-sidecars / node versions (Kubernetes >= 1.33)")
    decision.notes.insert(0, (f"native sidecar: {'yes' if decision.native_sidecar else 'no'}", native_why))
    mode = interception_mode(params)
    mode_default = ("annotation proxy.istio.io/config" if "interceptionMode" in annotations.get(PROXY_CONFIG_ANNOTATION, "")
                    else "mesh defaultConfig.interceptionMode")
    decision.notes.insert(1, (f"interception mode {mode}", source("sidecar.istio.io/interceptionMode", mode_default)))
    init = _find((pod.get("spec") or {}).get("initContainers"), INIT) or _find((pod.get("spec") or {}).get("initContainers"), VALIDATION)
    args = (init or {}).get("args") or []
    for flag, (what, annotation, value) in _IPTABLES_FLAGS.items():
        if flag in args[:-1] and args[args.index(flag) + 1]:
            decision.notes.append((f"{what}: {args[args.index(flag) + 1]}", source(annotation, f"values {value}")))


def find_sidecar(pod: dict) -> dict | None:
    """The pod's istio-proxy container (a regular or an init container), or None."""
    spec = pod.get("spec") or {}
    return _find(spec.get("containers"), PROXY) or _find(spec.get("initContainers"), PROXY)


_PROMETHEUS_SCRAPE, _PROMETHEUS_PORT, _PROMETHEUS_PATH = "prometheus_io_scrape", "prometheus_io_port", "prometheus_io_path"
_PROMETHEUS_TARGETS, _PROMETHEUS_SECURE_PORT = "prometheus_istio_io_scrape_targets", "prometheus_istio_io_secure_port"
_PROMETHEUS_ANNOTATIONS = (_PROMETHEUS_PATH, _PROMETHEUS_PORT, _PROMETHEUS_SCRAPE, _PROMETHEUS_TARGETS)
_GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
             "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}  # strconv.ParseBool


def sanitize_label_name(name: str) -> str:
    """Prometheus util/strutil SanitizeLabelName (webhook.go cites it): every character outside
    [a-zA-Z0-9_] becomes "_", so ``prometheus.io/scrape``, ``prometheus.io.scrape`` and
    ``prometheus-io/scrape`` all read as ``prometheus_io_scrape``."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def _prometheus_annotations(annotations: dict, wanted: str) -> list[tuple[str, str]]:
    # Go ranges over the annotation map in random order; with several spellings of one
    # annotation Istio's pick is arbitrary. Sorted keys make meshctl's pick stable.
    return [(key, annotations[key]) for key in sorted(annotations) if sanitize_label_name(key) == wanted]


def prometheus_scrape(annotations: dict) -> bool:
    """webhook.go: getPrometheusScrape. The first spelling of prometheus.io/scrape that parses as
    a Go bool decides; none (or none parsable): scrape."""
    for _, value in _prometheus_annotations(annotations, _PROMETHEUS_SCRAPE):
        if value in _GO_BOOLS:
            return _GO_BOOLS[value]
    return True


def prometheus_merge_enabled(mesh: dict, annotations: dict) -> bool:
    """webhook.go: enablePrometheusMerge. The annotation when it parses, else the mesh's setting, else on."""
    value = annotations.get("prometheus.istio.io/merge-metrics")
    if value in _GO_BOOLS:
        return _GO_BOOLS[value]
    setting = mesh.get("enablePrometheusMerge")
    return True if setting is None else bool(setting)


def _scrape_targets(text: str) -> list:
    """`port[:path]` entries, comma separated; a path defaults to /metrics.

    Istio parses them with pilot/cmd/pilot-agent/status.ParseScrapeTargets, which
    ../shared/istio-src does not hold: this reading is the one the hello-multiport-metrics
    golden shows, not a port.
    """
    targets = []
    for entry in text.split(","):
        entry = entry.strip()
        if entry:
            port, _, path = entry.partition(":")
            targets.append((port.strip(), path.strip() or "/metrics"))
    return targets


def _check_scrape_port(port: str, agent_port: str, what: str) -> None:
    """webhook.go applyPrometheusMerge's port validation (the Istio-reserved ports are checked by
    status.IstioReservedPortReason, which ../shared/istio-src does not hold: not checked here)."""
    number = _go_atoi(port)
    if number is None or not 1 <= number <= 65535:
        raise InjectionError(f"failed to process pod: invalid prometheus scrape {what}: invalid {'target port' if what == 'targets' else 'port'} {gojson.marshal(port)}")
    if str(number) == agent_port:
        raise InjectionError(f"failed to process pod: invalid prometheus scrape {what}: {'target port' if what == 'targets' else 'port'} {port} conflicts with agent port")


def _go_atoi(text: str) -> int | None:
    """strconv.Atoi: an optional sign and ASCII digits, nothing else."""
    return int(text) if re.fullmatch(r"[+-]?[0-9]+", text) else None


def clear_prometheus_annotations(annotations: dict) -> None:
    """webhook.go: clearPrometheusAnnotations. Every spelling of scrape, path, port and scrape-targets."""
    for key in [k for k in annotations if sanitize_label_name(k) in _PROMETHEUS_ANNOTATIONS]:
        del annotations[key]


def apply_prometheus_merge(pod: dict, params: InjectionParameters) -> bool:
    """webhook.go: applyPrometheusMerge. The agent serves merged metrics on the status port; the
    app's scrape settings (any spelling Prometheus reads as the same) move to the proxy's env
    ISTIO_PROMETHEUS_ANNOTATIONS and the annotations point at the agent."""
    annotations = pod["metadata"]["annotations"]
    if not (prometheus_scrape(annotations) and prometheus_merge_enabled(params.mesh, annotations)):
        return False
    target = str(params.status_port)
    current = _prometheus_annotations(annotations, _PROMETHEUS_PORT)
    if current and current[0][1] == target:
        return False  # the user (or a previous injection) points at the agent already
    # getPrometheusScrapeConfiguration: the last spelling of each wins (Go's map order).
    config = {"scrape": "", "path": "", "port": ""}
    targets = []
    for key in sorted(annotations):
        name = sanitize_label_name(key)
        if name in (_PROMETHEUS_SCRAPE, _PROMETHEUS_PATH, _PROMETHEUS_PORT):
            config[name.rpartition("_")[2]] = annotations[key]
        elif name == _PROMETHEUS_TARGETS:
            targets = _scrape_targets(annotations[key])
    if targets:
        # Old agents know only port/path: the first target is the primary endpoint.
        config["port"], config["path"] = targets[0]
        for port, _ in targets:
            _check_scrape_port(port, target, "targets")
    elif config["port"]:
        _check_scrape_port(config["port"], target, "configuration")
    sidecar = find_sidecar(pod)
    if sidecar is not None and (any(config.values()) or targets):
        # status.PrometheusScrapeConfiguration's JSON (scrape, path, port, targets: as the
        # hello-multiport-metrics golden shows; the type is not in ../shared/istio-src).
        fields = [("scrape", config["scrape"]), ("path", config["path"]), ("port", config["port"])]
        if targets:
            fields.append(("targets", [gojson.StructFields([("port", port), ("path", path)]) for port, path in targets]))
        sidecar.setdefault("env", []).append({"name": "ISTIO_PROMETHEUS_ANNOTATIONS", "value": gojson.marshal(gojson.StructFields(fields))})
    clear_prometheus_annotations(annotations)
    annotations["prometheus.io/port"] = target
    annotations["prometheus.io/path"] = "/stats/prometheus"
    annotations["prometheus.io/scrape"] = "true"
    return True


def apply_secure_prometheus_annotation(pod: dict) -> None:
    """webhook.go: applySecurePrometheusAnnotation. ENVOY_SECURE_MERGED_METRICS_PORT on istio-proxy
    (not empty, not "0") becomes prometheus.istio.io/secure-port, unless some spelling of it is set."""
    annotations = pod["metadata"]["annotations"]
    if any(sanitize_label_name(key) == _PROMETHEUS_SECURE_PORT for key in annotations):
        return
    for env in (find_sidecar(pod) or {}).get("env") or []:
        if env.get("name") == "ENVOY_SECURE_MERGED_METRICS_PORT" and env.get("value") not in (None, "", "0"):
            annotations["prometheus.istio.io/secure-port"] = env["value"]
            return


def injection_status(template_pod: dict, revision: str) -> str:
    """getInjectionStatus: what the templates added, as the sidecar.istio.io/status JSON."""
    spec = template_pod.get("spec") or {}

    def names(key):
        items = [x.get("name", "") for x in spec.get(key) or []]
        return items or None

    return gojson.marshal(gojson.StructFields([
        ("initContainers", names("initContainers")),
        ("containers", names("containers")),
        ("volumes", names("volumes")),
        ("imagePullSecrets", names("imagePullSecrets")),
        ("revision", revision or "default"),
    ]))


def _move(containers: list, name: str, first: bool) -> list:
    c = _find(containers, name)
    if c is None:
        return containers
    rest = [x for x in containers if x.get("name") != name]
    return [c, *rest] if first else [*rest, c]


def reorder_pod(pod: dict, params: InjectionParameters) -> None:
    """reorderPod: istio-proxy last (first with holdApplicationUntilProxyStarts); init order fixed."""
    mesh = params.mesh
    annotations = params.pod["metadata"].get("annotations") or {}
    if PROXY_CONFIG_ANNOTATION in annotations:
        mesh = apply_proxy_config_annotation(annotations[PROXY_CONFIG_ANNOTATION], mesh)
    hold = bool((mesh.get("defaultConfig") or {}).get("holdApplicationUntilProxyStarts")) or bool(
        params.value("global", "proxy", "holdApplicationUntilProxyStarts", default=False)
    )
    spec = pod["spec"]
    if spec.get("containers"):
        spec["containers"] = _move(spec["containers"], PROXY, first=hold)
    inits = spec.get("initContainers")
    if not inits:
        return
    if _find(inits, PROXY):
        # Native sidecar: istio-init (or istio-validation), istio-proxy, enable-core-dump, then the
        # user's, so that init containers are part of the mesh (each MoveFirst in Istio's order).
        for name in (ENABLE_CORE_DUMP, PROXY, VALIDATION, INIT):
            inits = _move(inits, name, first=True)
    else:
        # istio-validation first, to block every user container; istio-init and enable-core-dump
        # last, so user init containers keep their network until iptables is set up. Unlike the
        # app containers, holdApplicationUntilProxyStarts does not move them.
        inits = _move(inits, VALIDATION, first=True)
        inits = _move(inits, INIT, first=False)
        inits = _move(inits, ENABLE_CORE_DUMP, first=False)
    spec["initContainers"] = inits
