"""Fleet-check facts for tests of meshctl.analyze.check: an Istio-shaped config dump built from the
sandbox's resources, a sidecar pod, the mesh facts around it, and SDS secrets to vary."""

from __future__ import annotations

from datetime import timedelta

from meshctl.analyze import check as rules
from meshctl.decode.configdump import from_object
from meshctl.model.mesh import NO_MESH, SIDECAR, PodFact, PodIndex
from meshctl.sandbox import resources
from meshctl.sandbox.certs import TestCA, spiffe_id

CA = TestCA()
WORKLOAD = CA.issue_workload(spiffe_id("default", "bookinfo-productpage"), validity=timedelta(hours=24))
NOW = WORKLOAD.not_before + timedelta(hours=1)  # the cert has 23h01m left (not_before is issuance - 1m)
ADMIN = "type.googleapis.com/envoy.admin.v3."


def dump(*, version="1.28.0", warming=(), secrets=None, eds=True, extra_clusters=()):
    secrets = resources.secrets(WORKLOAD.cert_pem + CA.root.cert_pem, b"[redacted]", CA.root.cert_pem) if secrets is None else secrets
    configs = [
        {"@type": ADMIN + "BootstrapConfigDump", "bootstrap": {"node": {"metadata": {"ISTIO_VERSION": version}}}},
        {"@type": ADMIN + "ClustersConfigDump",
         "dynamic_active_clusters": [{"cluster": c} for c in [*resources.clusters(include_warming=False), *extra_clusters]],
         "dynamic_warming_clusters": [{"cluster": {"name": name}, "last_updated": updated} for name, updated in warming]},
        {"@type": ADMIN + "SecretsConfigDump",
         "dynamic_active_secrets": [{"name": s["name"], "version_info": "1", "secret": s} for s in secrets]},
    ]  # fmt: skip
    if eds:
        configs.insert(2, {"@type": ADMIN + "EndpointsConfigDump",
                           "dynamic_endpoint_configs": [{"endpoint_config": a} for a in resources.endpoints()]})  # fmt: skip
    return from_object({"configs": configs})


def pod(revision="default", namespace="default", **kwargs):
    return rules.PodFacts(name=f"productpage-v1-abc.{namespace}", namespace=namespace, labels={"istio.io/rev": revision}, dump=kwargs.pop("dump", dump()), **kwargs)


def mesh(**kwargs):
    defaults = dict(now=NOW, cert_warn=timedelta(hours=12), istiod_versions={"default": ("1.28.0",)}, webhook_revisions=frozenset({"default"}),
                    root_certs={"default": CA.root.cert_pem}, pods=pods({}))  # fmt: skip
    return rules.MeshFacts(**{**defaults, **kwargs})


def pods(by_ip: dict) -> PodIndex:
    """A pod list: IP -> (pod key, has a sidecar)."""
    facts = [PodFact(key, key.rpartition(".")[2], (ip,), {}, SIDECAR if sidecar else NO_MESH) for ip, (key, sidecar) in by_ip.items()]
    return PodIndex(tuple(facts), "", {f.ips[0]: f for f in facts}, {f.key: f for f in facts})


def secrets_only(active=(), warming=()):
    """A dump holding only SDS secrets, `active` and `warming` ones."""
    section = {"@type": ADMIN + "SecretsConfigDump",
               "dynamic_active_secrets": [{"name": s["name"], "version_info": "1", "secret": s} for s in active],
               "dynamic_warming_secrets": [{"name": s["name"], "version_info": "2", "secret": s} for s in warming]}  # fmt: skip
    return from_object({"configs": [section]})


def workload_secret(chain: bytes):
    """SDS secret `default` holding `chain` (and a redacted key)."""
    return [s for s in resources.secrets(chain, b"[redacted]", CA.root.cert_pem) if s["name"] == "default"][0]


def root_secret(pem: bytes):
    """SDS secret `ROOTCA` holding `pem`."""
    return [s for s in resources.secrets(b"", b"", pem) if s["name"] == "ROOTCA"][0]
