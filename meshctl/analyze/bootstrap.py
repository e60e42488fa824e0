"""Envoy bootstrap -> istioctl's version summary and the `pc bootstrap -o short` summary.

Every function takes the Bootstrap message as a snake_case dict (what a BootstrapConfigDump's
``bootstrap`` holds, or a pilot-agent ``envoy-rev.json``) and does no I/O, so that `pc bootstrap`
on a file and `meshctl bootstrap POD` share them.
"""

from __future__ import annotations

from collections.abc import Mapping

from meshctl.analyze.tls import api_config_source, cluster_endpoints, cluster_wide_cells, config_source, format_address, static_cluster_endpoints
from meshctl.model.tabular import Tabular

STATIC_CLUSTER_COLUMNS = ["NAME", "TYPE", "ENDPOINT", "TLS"]


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _str(value) -> str:
    # Go's structpb GetStringValue(): "" for anything that is not a string.
    return value if isinstance(value, str) else ""


def istio_versions(bootstrap: Mapping) -> tuple[str, str]:
    """(ISTIO_VERSION, proxy sha) from node metadata (istioctl configdump.go getIstioVersionInfo)."""
    metadata = _dict(_dict(bootstrap.get("node")).get("metadata"))
    sha = _str(metadata.get("ISTIO_PROXY_SHA"))
    parts = sha.split(":")
    # "istio-proxy:<sha>" -> "<sha>" (istioctl takes the second ":"-separated part).
    return _str(metadata.get("ISTIO_VERSION")), parts[1] if len(parts) > 1 else sha


def envoy_version(bootstrap: Mapping) -> str:
    """``major.minor.patch[-label][/status][/build type][/ssl]`` (istioctl configdump.go getUserAgentVersionInfo)."""
    build = _dict(_dict(bootstrap.get("node")).get("user_agent_build_version"))
    version = _dict(build.get("version"))
    text = f"{_int(version.get('major_number'))}.{_int(version.get('minor_number'))}.{_int(version.get('patch'))}"
    metadata = _dict(build.get("metadata"))
    if "build.label" in metadata:
        text += f"-{_str(metadata['build.label'])}"
    for key in ("revision.status", "build.type", "ssl.version"):
        if key in metadata:
            text += f"/{_str(metadata[key])}"
    return text


def _int(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def version_table(bootstrap: Mapping) -> Tabular:
    """istioctl's PrintVersionSummary: Istio, proxy and Envoy versions (tabwriter padding 1)."""
    istio, sha = istio_versions(bootstrap)
    rows = [[label, value] for label, value in (("Istio Version:", istio), ("Istio Proxy Version:", sha)) if value]
    rows.append(["Envoy Version:", envoy_version(bootstrap)])
    return Tabular(columns=[], rows=rows, padding=1)


def dump_version_table(dump) -> Tabular:
    """`version_table` of a ConfigDump's bootstrap: the version block of `pc all` (istioctl PrintVersionSummary)."""
    section = dump.section("BootstrapConfigDump") or {}
    return version_table(_dict(section.get("bootstrap")))


def bootstrap_tables(bootstrap: Mapping) -> list[Tabular]:
    """`pc bootstrap -o short`: node and discovery facts, then each static cluster's endpoint."""
    node = _dict(bootstrap.get("node"))
    metadata = _dict(node.get("metadata"))
    proxy_config = _dict(metadata.get("PROXY_CONFIG"))
    endpoints = static_cluster_endpoints(bootstrap)
    node_id = _str(node.get("id"))
    id_parts = node_id.split("~")
    istio, sha = istio_versions(bootstrap)
    name, namespace = _str(metadata.get("NAME") or metadata.get("POD_NAME")), _str(metadata.get("NAMESPACE"))
    facts = [
        ("Node ID:", node_id),
        ("Node Cluster:", _str(node.get("cluster"))),
        ("Proxy Type:", id_parts[0] if len(id_parts) == 4 else ""),
        ("Pod:", f"{name}.{namespace}" if name and namespace else name),
        ("Service Account:", _str(metadata.get("SERVICE_ACCOUNT"))),
        ("Cluster ID:", _str(metadata.get("CLUSTER_ID"))),
        ("Mesh ID:", _str(metadata.get("MESH_ID"))),
        ("Labels:", _labels(metadata.get("LABELS"))),
        ("Locality:", _locality(node.get("locality"))),
        ("Instance IPs:", _str(metadata.get("INSTANCE_IPS")) or (id_parts[1] if len(id_parts) == 4 else "")),
        ("Interception Mode:", _str(metadata.get("INTERCEPTION_MODE"))),
        ("Istio Version:", istio),
        ("Istio Proxy Version:", sha),
        ("Envoy Version:", envoy_version(bootstrap) if "user_agent_build_version" in node else ""),
        ("Discovery Address:", _str(proxy_config.get("discoveryAddress"))),
        ("Admin Address:", format_address(_dict(bootstrap.get("admin")).get("address"))),
        *_discovery(_dict(bootstrap.get("dynamic_resources")), endpoints),
    ]
    info = Tabular(columns=[], rows=[[label, value] for label, value in facts if value], padding=1)
    resources = _dict(bootstrap.get("static_resources"))
    listed = resources.get("clusters")
    clusters = [cluster for cluster in listed if isinstance(cluster, dict)] if isinstance(listed, list) else []
    table = Tabular(
        columns=list(STATIC_CLUSTER_COLUMNS),
        rows=[_static_cluster_row(cluster, endpoints) for cluster in clusters],
        empty_msg="No static clusters in the bootstrap.",
    )
    return [info, table]


def _discovery(dynamic: dict, endpoints: Mapping[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    facts = []
    ads = dynamic.get("ads_config")
    if isinstance(ads, dict):
        api_type = _str(ads.get("api_type")) or "GRPC"
        facts.append(("ADS:", f"{api_type} via {api_config_source(ads, endpoints).describe()}"))
    for label, key in (("CDS:", "cds_config"), ("LDS:", "lds_config")):
        if isinstance(dynamic.get(key), dict):
            facts.append((label, config_source(dynamic[key], endpoints).describe()))
    return facts


def _static_cluster_row(cluster: dict, endpoints: Mapping[str, tuple[str, ...]]) -> list[str]:
    addresses = cluster_endpoints(cluster)
    cluster_type = cluster.get("type") or ("EDS" if "eds_cluster_config" in cluster else "STATIC")
    return [
        _str(cluster.get("name")) or "-",
        str(cluster_type),
        ",".join(addresses) or "-",
        cluster_wide_cells(cluster, endpoints)[0],
    ]


def _labels(labels) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(_dict(labels).items()))


def _locality(locality) -> str:
    parts = [_str(_dict(locality).get(key)) for key in ("region", "zone", "sub_zone")]
    return "/".join(parts) if any(parts) else ""
