"""Config dumps of the sandbox mesh (meshctl.sandbox.mesh) built without Envoy, at fixed ports.

The same xDS resources the real-Envoy test serves, laid out as Envoy's /config_dump?include_eds
prints them (each resource under its admin section, with its @type), plus a bootstrap node and
the SDS secrets (a workload certificate for the party's SPIFFE identity and the root).
"""

from __future__ import annotations

import base64
import copy
import functools

from meshctl.decode.configdump import ConfigDump, from_object
from meshctl.sandbox import bootstrap, mesh_resources
from meshctl.sandbox.mesh import APP, CLIENTS, SERVER, workload_of
from meshctl.sandbox.resources import CLUSTER, ENDPOINTS, LISTENER, ROUTE, SECRET

ADMIN = "type.googleapis.com/envoy.admin.v3."
SLEEP, CURL = CLIENTS
SERVER_PORT, APP_PORT, SLEEP_PORT, CURL_PORT, TCP_PORT = 15080, 8080, 9080, 9081, 15090
LAYOUT = mesh_resources.Layout(SERVER, SERVER_PORT, APP, APP_PORT, ((SLEEP, SLEEP_PORT), (CURL, CURL_PORT)), TCP_PORT)


@functools.lru_cache(maxsize=1)
def ca():
    from meshctl.sandbox.certs import TestCA

    return TestCA()


@functools.lru_cache(maxsize=8)
def _cert_pem(principal: str) -> bytes:
    return ca().issue_workload(principal).cert_pem


def _secret(name: str, body: dict) -> dict:
    return {"name": name, "version_info": "1", "secret": {"@type": SECRET, "name": name, **body}}


def document(served: dict, party, *, secrets: bool = True, eds: bool = True) -> dict:
    """A /config_dump document for `party` serving `served` (type URL -> resources)."""
    configs = [
        {"@type": ADMIN + "BootstrapConfigDump", "bootstrap": bootstrap.build(workload_of(party))},
        {"@type": ADMIN + "ClustersConfigDump", "dynamic_active_clusters": [{"version_info": "1", "cluster": {"@type": CLUSTER, **c}} for c in served.get(CLUSTER, [])]},
    ]  # fmt: skip
    if eds:
        configs.append({"@type": ADMIN + "EndpointsConfigDump",
                        "dynamic_endpoint_configs": [{"endpoint_config": {"@type": ENDPOINTS, **e}} for e in served.get(ENDPOINTS, [])]})  # fmt: skip
    configs.append({"@type": ADMIN + "ListenersConfigDump", "dynamic_listeners": [
        {"name": item["name"], "active_state": {"version_info": "1", "listener": {"@type": LISTENER, **item}}} for item in served.get(LISTENER, [])]})  # fmt: skip
    configs.append({"@type": ADMIN + "RoutesConfigDump", "dynamic_route_configs": [{"route_config": {"@type": ROUTE, **r}} for r in served.get(ROUTE, [])]})
    if secrets:
        chain = base64.b64encode(_cert_pem(party.principal) + ca().root.cert_pem).decode()
        configs.append({"@type": ADMIN + "SecretsConfigDump", "dynamic_active_secrets": [
            _secret("default", {"tls_certificate": {"certificate_chain": {"inline_bytes": chain}, "private_key": {"inline_string": "[redacted]"}}}),
            _secret("ROOTCA", {"validation_context": {"trusted_ca": {"inline_bytes": base64.b64encode(ca().root.cert_pem).decode()}}}),
        ]})  # fmt: skip
    return {"configs": configs}


def server_served() -> dict:
    return copy.deepcopy(mesh_resources.server_resources(LAYOUT))


def client_served(party=SLEEP) -> dict:
    port = SLEEP_PORT if party is SLEEP else CURL_PORT
    return copy.deepcopy(mesh_resources.client_resources(LAYOUT, party, port))


def server_dump(served: dict | None = None) -> ConfigDump:
    return from_object(document(served or server_served(), SERVER))


def client_dump(party=SLEEP, served: dict | None = None, **options) -> ConfigDump:
    return from_object(document(served or client_served(party), party, **options))
