"""How a sidecar is seeded: the bootstrap's xDS/SDS chain and the istio-proxy container (pure).

pilot-agent writes /etc/istio/proxy/envoy-rev.json with two static clusters that Envoy needs
before anything else (istio tools/packaging/common/envoy_bootstrap.json):
- ``xds-grpc``: a unix socket ``./etc/istio/proxy/XDS`` served by the agent's xDS proxy, which
  forwards to the discovery address (istiod, 15012) from PROXY_CONFIG;
- ``sds-grpc``: ``./var/run/secrets/workload-spiffe-uds/socket``, the agent's SDS server, which
  gets certificates from CA_ADDR (istiod unless a custom CA is configured).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from meshctl.analyze.tls import static_cluster_endpoints

# Env vars of istio-proxy that change how the proxy is seeded or identified.
_ENV_PREFIXES = ("ISTIO_META_", "PILOT_", "PROXY_", "CA_", "XDS_", "ISTIO_BOOTSTRAP")
_ENV_NAMES = ("TRUST_DOMAIN", "OUTPUT_CERTS", "JWT_POLICY", "ISTIO_CPU_LIMIT", "GOMEMLIMIT", "GOMAXPROCS")
_CHANNELS = (
    ("xds-grpc", "pilot-agent xDS proxy"),
    ("sds-grpc", "pilot-agent SDS server"),
)


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _proxy_config(bootstrap: Mapping, container: Mapping | None) -> dict:
    """PROXY_CONFIG from node metadata, else from the container's env (a JSON string)."""
    metadata = _dict(_dict(bootstrap.get("node")).get("metadata"))
    found = metadata.get("PROXY_CONFIG")
    if isinstance(found, dict):
        return found
    text = env_value(container, "PROXY_CONFIG")
    try:
        parsed = json.loads(text) if text else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def env_value(container: Mapping | None, name: str) -> str:
    """The value of environment variable `name` in the container spec ("" when unset)."""
    for entry in (container or {}).get("env") or []:
        if entry.get("name") == name and "value" in entry:
            return str(entry["value"])
    return ""


def seed_chain(bootstrap: Mapping, container: Mapping | None = None) -> list[dict]:
    """The xds-grpc and sds-grpc hops: cluster -> local endpoint (the agent) -> upstream."""
    endpoints = static_cluster_endpoints(bootstrap)
    discovery = str(_proxy_config(bootstrap, container).get("discoveryAddress", ""))
    ca = env_value(container, "CA_ADDR") or discovery
    chain = []
    for cluster, role in _CHANNELS:
        if cluster not in endpoints:
            continue
        upstream = discovery if cluster == "xds-grpc" else ca
        hops = [cluster, *(f"{e} ({role})" for e in endpoints[cluster])]
        if upstream:
            hops.append(f"{'istiod' if cluster == 'xds-grpc' else 'CA'} {upstream}")
        chain.append({"cluster": cluster, "endpoints": list(endpoints[cluster]), "via": role, "upstream": upstream, "hops": hops})
    return chain


def proxy_container_facts(pod: Mapping, container: Mapping) -> dict:
    """Image, revision, args and the env that matters, as the pod spec has them (never resolved secrets)."""
    meta = _dict(pod.get("metadata"))
    annotations, labels = _dict(meta.get("annotations")), _dict(meta.get("labels"))
    revision = labels.get("istio.io/rev", "")
    try:
        revision = json.loads(annotations.get("sidecar.istio.io/status", "")).get("revision") or revision
    except (ValueError, AttributeError):
        pass
    env = {}
    for entry in container.get("env") or []:
        name = str(entry.get("name", ""))
        if name.startswith(_ENV_PREFIXES) or name in _ENV_NAMES:
            env[name] = _env_text(entry)
    return {
        "pod": f"{meta.get('name', '')}.{meta.get('namespace', '')}",
        "container": container.get("name", ""),
        "image": container.get("image", ""),
        "revision": revision,
        "args": [str(a) for a in container.get("args") or []],
        "env": env,
    }


def _env_text(entry: Mapping) -> str:
    if "value" in entry:
        return str(entry["value"]).strip()
    source = _dict(entry.get("valueFrom"))
    if "fieldRef" in source:
        return f"(field {_dict(source['fieldRef']).get('fieldPath', '')})"
    if "resourceFieldRef" in source:
        return f"(resource {_dict(source['resourceFieldRef']).get('resource', '')})"
    for kind in ("secretKeyRef", "configMapKeyRef"):
        if kind in source:
            ref = _dict(source[kind])
            return f"({kind.removesuffix('KeyRef')} {ref.get('name', '')}/{ref.get('key', '')})"
    return ""
