"""Certificates, SDS secrets and clusters made for the TLS/SDS tests (helpers, imported by the tests)."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=timezone.utc)


class CertFactory:
    """Istio-shaped certificates: roots with O=cluster.local, EC P-256 workload certs with a SPIFFE URI SAN."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        self._ec = ec
        self.keys = {}

    def _key(self, name: str):
        if name not in self.keys:
            self.keys[name] = self._ec.generate_private_key(self._ec.SECP256R1())
        return self.keys[name]

    def root(self, org: str = "cluster.local", *, serial: int = 0x0193A543FE2B0D9C, days: int = 3650, start: datetime = NOW - timedelta(days=10)):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.x509.oid import NameOID

        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)])
        key = self._key(f"root:{org}")
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cert

    def workload(self, root, *, spiffe: str = "spiffe://cluster.local/ns/default/sa/default", serial: int = 0x6FBEE254C229,
                 start: datetime = NOW - timedelta(hours=1), hours: int = 24, dns: tuple[str, ...] = ()):  # fmt: skip
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes

        org = root.subject.rfc4514_string().removeprefix("O=")
        names = [x509.UniformResourceIdentifier(spiffe)] + [x509.DNSName(d) for d in dns]
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(root.subject)
            .public_key(self._key(f"leaf:{spiffe}").public_key())
            .serial_number(serial)
            .not_valid_before(start)
            .not_valid_after(start + timedelta(hours=hours))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(names), critical=True)
            .sign(self._key(f"root:{org}"), hashes.SHA256())
        )

    @staticmethod
    def pem(*certs) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding

        return b"".join(cert.public_bytes(Encoding.PEM) for cert in certs)

    @staticmethod
    def der(cert) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding

        return cert.public_bytes(Encoding.DER)

    def key_pem(self, name: str = "root:cluster.local") -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._key(name).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def cert_secret(name: str, chain: bytes, *, key: bytes = b"[redacted]", version: str | None = None) -> dict:
    """A SecretsConfigDump dynamic secret holding a certificate chain, as Envoy dumps it."""
    entry = {
        "name": name,
        "secret": {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
            "name": name,
            "tls_certificate": {"certificate_chain": {"inline_bytes": b64(chain)}, "private_key": {"inline_bytes": b64(key)}},
        },
    }
    if version is not None:
        entry["version_info"] = version
    return entry


def ca_secret(name: str, bundle: bytes) -> dict:
    """A dynamic secret holding a trusted CA bundle (a validation context)."""
    return {
        "name": name,
        "secret": {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
            "name": name,
            "validation_context": {"trusted_ca": {"inline_bytes": b64(bundle)}},
        },
    }


def secrets_dump(active=(), warming=()) -> dict:
    return {
        "@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump",
        "dynamic_active_secrets": list(active),
        "dynamic_warming_secrets": list(warming),
    }


def sds_config(cluster: str = "sds-grpc") -> dict:
    return {
        "api_config_source": {
            "api_type": "GRPC",
            "set_node_on_first_message_only": True,
            "transport_api_version": "V3",
            "grpc_services": [{"envoy_grpc": {"cluster_name": cluster}}],
        },
        "initial_fetch_timeout": "0s",
        "resource_api_version": "V3",
    }


def istio_mtls_socket(sni: str, sans: list[str], *, typed_sans: bool = False) -> dict:
    """The tlsMode=istio socket pilot writes (cluster_tls.go buildIstioMutualTLS)."""
    if typed_sans:
        validation = {"match_typed_subject_alt_names": [{"san_type": "URI", "matcher": {"exact": san}} for san in sans]}
    else:
        validation = {"match_subject_alt_names": [{"exact": san} for san in sans]}
    return {
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
            "common_tls_context": {
                "tls_params": {"tls_minimum_protocol_version": "TLSv1_2", "tls_maximum_protocol_version": "TLSv1_3"},
                "alpn_protocols": ["istio-peer-exchange", "istio"],
                "tls_certificate_sds_secret_configs": [{"name": "default", "sds_config": sds_config()}],
                "combined_validation_context": {
                    "default_validation_context": validation,
                    "validation_context_sds_secret_config": {"name": "ROOTCA", "sds_config": sds_config()},
                },
            },
            "sni": sni,
        },
    }


RAW_BUFFER = {
    "name": "envoy.transport_sockets.raw_buffer",
    "typed_config": {"@type": "type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"},
}


def istio_outbound_cluster(host: str = "reviews.default.svc.cluster.local", port: int = 9080, **socket_options) -> dict:
    name = f"outbound|{port}||{host}"
    return {
        "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
        "name": name,
        "type": "EDS",
        "eds_cluster_config": {"eds_config": {"ads": {}, "resource_api_version": "V3"}, "service_name": name},
        "transport_socket_matches": [
            {
                "name": "tlsMode-istio",
                "match": {"tlsMode": "istio"},
                "transport_socket": istio_mtls_socket(
                    f"outbound_.{port}_._.{host}", ["spiffe://cluster.local/ns/default/sa/bookinfo-reviews"], **socket_options
                ),
            },
            {"name": "tlsMode-disabled", "match": {}, "transport_socket": RAW_BUFFER},
        ],
    }


def istio_bootstrap(sds_path: str = "./var/run/secrets/workload-spiffe-uds/socket") -> dict:
    """The static clusters of pilot-agent's bootstrap that TLS rows resolve SDS through."""

    def static(name: str, address: dict) -> dict:
        return {
            "name": name,
            "type": "STATIC",
            "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [{"endpoint": {"address": address}}]}]},
        }

    return {
        "node": {"id": "sidecar~10.0.0.1~reviews-v1-abc.default~default.svc.cluster.local", "cluster": "reviews.default"},
        "static_resources": {
            "clusters": [
                static("xds-grpc", {"pipe": {"path": "./etc/istio/proxy/XDS"}}),
                static("sds-grpc", {"pipe": {"path": sds_path}}),
                static("agent", {"socket_address": {"address": "127.0.0.1", "port_value": 15020}}),
            ]
        },
    }
