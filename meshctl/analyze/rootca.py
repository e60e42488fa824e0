"""Compare the trusted roots (SDS secret ROOTCA) of two proxies, or of a proxy and a ConfigMap (pure).

istioctl rootca-compare (istioctl/pkg/proxyconfig/rootca-compare.go) compares the ROOTCA bytes
and says "identical" or "non identical". A trust bundle may hold several roots (during a CA
migration, or multi-cluster), and two proxies can talk when they share one of them, so meshctl
compares root by root.
"""

from __future__ import annotations

from dataclasses import dataclass

from meshctl.analyze.secrets import secret_items
from meshctl.decode.configdump import ConfigDump
from meshctl.decode.x509 import CertBundle, CertView, parse_bundle
from meshctl.errors import DecodeError
from meshctl.model.tabular import Tabular

ROOT_SECRET = "ROOTCA"
_DYNAMIC_SECRET_TYPE = "envoy.admin.v3.SecretsConfigDump.DynamicSecret"


@dataclass(frozen=True)
class RootComparison:
    """Two trust bundles root by root: which roots each side has."""
    left: str
    right: str
    roots: list[tuple[CertView, bool, bool]]  # (root, in left, in right)

    @property
    def shared(self) -> int:
        """How many roots both sides trust."""
        return sum(1 for _, a, b in self.roots if a and b)

    @property
    def identical(self) -> bool:
        """Both sides trust exactly the same roots."""
        return bool(self.roots) and all(a and b for _, a, b in self.roots)

    def summary(self) -> str:
        """One line; istioctl's wording for the identical and disjoint cases."""
        pair = f"Both [{self.left}] and [{self.right}]"
        if self.identical:
            return f"{pair} have the identical ROOTCA, theoretically the connectivity between them is available"
        if self.shared:
            return (
                f"[{self.left}] and [{self.right}] share {self.shared} of {len(self.roots)} roots: connectivity "
                "is available for workload certificates issued under a shared root"
            )
        return f"{pair} have the non identical ROOTCA, theoretically the connectivity between them is unavailable"


def root_bundle_from_dump(dump: ConfigDump, where: str) -> CertBundle:
    """The ROOTCA trust bundle of a full config dump, or of ``config_dump?resource=dynamic_active_secrets``.

    Raises:
        DecodeError: no ROOTCA secret, or it holds no certificate.
    """
    section = dump.section("SecretsConfigDump")
    if section is None:
        # ?resource= answers list each secret as its own entry
        entries = [u.raw for u in dump.unknown_sections if u.type_url.endswith(_DYNAMIC_SECRET_TYPE)]
        section = {"dynamic_active_secrets": entries}
    for item in secret_items(section):
        if item.name == ROOT_SECRET:
            if not item.bundle.certs:
                problems = "; ".join(item.bundle.problems) or "no certificate data"
                raise DecodeError(f"{where}: secret {ROOT_SECRET} holds no readable certificate ({problems})")
            return item.bundle
    raise DecodeError(f"{where}: cannot find {ROOT_SECRET} in the config dump (no SDS root secret yet?)")


def root_bundle_from_pem(pem: bytes, where: str) -> CertBundle:
    """The roots in a PEM bundle (ConfigMap istio-ca-root-cert); DecodeError naming `where` when there is none."""
    bundle = parse_bundle(pem)
    if not bundle.certs:
        raise DecodeError(f"{where}: no readable certificate ({'; '.join(bundle.problems) or 'empty'})")
    return bundle


def _identity(cert: CertView) -> tuple:
    return (cert.subject, cert.issuer, cert.serial, cert.not_before, cert.not_after)


def compare_roots(left_name: str, left: CertBundle, right_name: str, right: CertBundle) -> RootComparison:
    """Union of both bundles' roots in order of appearance, each marked with where it is present."""
    left_ids = {_identity(c) for c in left.certs}
    right_ids = {_identity(c) for c in right.certs}
    seen, roots = set(), []
    for cert in (*left.certs, *right.certs):
        key = _identity(cert)
        if key not in seen:
            seen.add(key)
            roots.append((cert, key in left_ids, key in right_ids))
    return RootComparison(left_name, right_name, roots)


def comparison_table(comparison: RootComparison) -> Tabular:
    """Root by root: subject, serial, expiry, and which side trusts it."""
    rows = [
        [cert.subject or "-", cert.serial, cert.not_after_rfc3339, "yes" if a else "no", "yes" if b else "no"]
        for cert, a, b in comparison.roots
    ]
    return Tabular(columns=["ROOT SUBJECT", "SERIAL NUMBER", "NOT AFTER", comparison.left, comparison.right], rows=rows)
