"""Generated inputs: whatever shape a dump has, TLS/SDS decoding gives rows or problems, never a traceback."""

from __future__ import annotations

import base64
import copy
import json
from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshctl.analyze.bootstrap import bootstrap_tables, version_table
from meshctl.analyze.secrets import redact_secrets, secret_table
from meshctl.analyze.tls import cluster_wide_cells, static_cluster_endpoints, tls_rows, tls_table
from meshctl.decode.x509 import bundle_from_data_source, parse_bundle

from helpers.tlsdata import istio_bootstrap, istio_outbound_cluster

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
KEYS = st.sampled_from(
    ["name", "secret", "tls_certificate", "certificate_chain", "validation_context", "trusted_ca", "inline_bytes",
     "inline_string", "filename", "transport_socket", "transport_socket_matches", "typed_config", "match",
     "common_tls_context", "combined_validation_context", "tls_certificate_sds_secret_configs", "sds_config",
     "api_config_source", "grpc_services", "envoy_grpc", "cluster_name", "node", "metadata", "static_resources",
     "clusters", "load_assignment", "endpoints", "lb_endpoints", "endpoint", "address", "pipe", "path", "@type",
     "version_info", "dynamic_active_secrets", "dynamic_warming_secrets", "sni", "alpn_protocols", "private_key"]
)  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS | st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _cells_are_strings(table) -> bool:
    return all(isinstance(cell, str) for row in table.rows for cell in row)


# Where redact_secrets may blank values (meshctl/analyze/secrets.py), and what it writes there.
REDACTABLE = {"private_key", "password", "pkcs12", "keys", "secret", "certificate_chain", "trusted_ca"}
MARKERS = {"[redacted]", "W3JlZGFjdGVkXQ=="}


def _only_redacted(before, after, redactable: bool = False) -> bool:
    """`after` is `before` but for string leaves below a redactable key, which became a marker."""
    if isinstance(before, dict):
        return isinstance(after, dict) and list(after) == list(before) and all(
            _only_redacted(before[key], after[key], redactable or key in REDACTABLE) for key in before)
    if isinstance(before, list):
        return isinstance(after, list) and len(after) == len(before) and all(
            _only_redacted(b, a, redactable) for b, a in zip(before, after))
    return after == before or (redactable and isinstance(before, str) and after in MARKERS)


@FAST
@given(JSON, JSON)
def test_secret_sections_of_any_shape(active, warming):
    section = {"dynamic_active_secrets": active, "dynamic_warming_secrets": warming}
    for wide in (False, True):
        assert _cells_are_strings(secret_table(section, now=NOW, wide=wide))
    before = copy.deepcopy(section)
    redacted = redact_secrets(section)
    assert section == before  # a copy: the input is untouched
    assert _only_redacted(section, redacted)
    assert redact_secrets(redacted) == redacted


KEY_MATERIAL = "MHcCAQEEIBkey-material-that-must-not-show"


@FAST
@given(JSON, st.booleans(), st.sampled_from(["inline_string", "inline_bytes", "filename", "environment_variable"]))
def test_private_keys_are_redacted_whatever_surrounds_them(junk, listed, source):
    certificate = {"certificate_chain": {"inline_string": "chain"}, "private_key": {source: KEY_MATERIAL}, "junk": junk}
    tls = {"tls_certificates": [certificate]} if listed else {"tls_certificate": certificate}
    section = {"dynamic_active_secrets": [{"name": "default", "secret": {"name": "default", **tls}}], "junk": junk}
    redacted = redact_secrets(section)
    assert KEY_MATERIAL not in json.dumps(redacted)
    assert _only_redacted(section, redacted)
    # exactly the key is blanked; the rest of the secret is as it was
    marker = "W3JlZGFjdGVkXQ==" if source == "inline_bytes" else "[redacted]"
    blanked = {"certificate_chain": {"inline_string": "chain"}, "private_key": {source: marker}}
    secret = redacted["dynamic_active_secrets"][0]
    kept = secret["secret"]["tls_certificates"][0] if listed else secret["secret"]["tls_certificate"]
    assert {key: kept[key] for key in blanked} == blanked and secret["name"] == secret["secret"]["name"] == "default"


@FAST
@given(st.lists(JSON, max_size=4), JSON)
def test_clusters_of_any_shape(clusters, bootstrap):
    endpoints = static_cluster_endpoints(bootstrap if isinstance(bootstrap, dict) else None)
    pairs = [(cluster, "active") for cluster in clusters if isinstance(cluster, dict)]
    assert _cells_are_strings(tls_table(tls_rows(pairs, endpoints)))
    for cluster, _ in pairs:
        assert all(isinstance(cell, str) for cell in cluster_wide_cells(cluster, endpoints))


@FAST
@given(JSON)
def test_bootstraps_of_any_shape(node):
    for bootstrap in ({"node": node}, {"static_resources": {"clusters": node}}, {"dynamic_resources": node, "admin": node}):
        for table in (*bootstrap_tables(bootstrap), version_table(bootstrap)):
            assert _cells_are_strings(table)


@FAST
@given(st.binary(max_size=300))
def test_arbitrary_bytes_as_certificates(data):
    bundle = parse_bundle(data)
    assert bundle.certs == () or bundle.encoding in ("pem", "der")
    wrapped = b"-----BEGIN CERTIFICATE-----\n" + base64.b64encode(data) + b"\n-----END CERTIFICATE-----\n"
    assert not parse_bundle(wrapped).certs or data[:1] == b"\x30"
    bundle_from_data_source({"inline_bytes": base64.b64encode(data).decode()})


@FAST
@given(st.integers(min_value=0, max_value=3), st.data())
def test_mutated_istio_cluster(depth, data):
    # Replace one nested value of a real-shaped cluster by junk: rows still come out.
    cluster = istio_outbound_cluster()
    node = cluster
    for _ in range(depth):
        keys = [k for k, v in node.items() if isinstance(v, dict)] if isinstance(node, dict) else []
        if not keys:
            break
        node = node[data.draw(st.sampled_from(keys))]
    if isinstance(node, dict) and node:
        node[data.draw(st.sampled_from(sorted(node)))] = data.draw(JSON)
    rows = tls_rows([(cluster, "active")], static_cluster_endpoints(istio_bootstrap()))
    assert rows and _cells_are_strings(tls_table(rows))
