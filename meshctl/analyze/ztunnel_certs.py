"""ztunnel's certificates decoded: `ztunnel-config certificate -o wide` and the `check` findings.

istioctl's certificate table (meshctl.analyze.ztunnel.certificate_table) shows what ztunnel says
about each certificate. The wide view also decodes the PEM itself with meshctl's X.509 decoder (as
`pc secret -o wide` does): the SPIFFE identity in the certificate, its issuer, the time left (EXPIRES IN), and
problems: expired, not yet valid, expiring within --cert-warn although past the point where ztunnel
renews it (half its lifetime), a PEM that does not parse or disagrees
with ztunnel's own serial number or expiry, a leaf issued for another identity, an identity ztunnel
could not get a certificate for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from meshctl.analyze.ztunnel import CERTIFICATE_COLUMNS, CertificateRow, certificate_cells, certificate_rows, parse_decimal, parse_rfc3339
from meshctl.decode.x509 import CertView, go_rfc3339, parse_bundle
from meshctl.model.durations import format_duration, time_left
from meshctl.model.tabular import Finding, Tabular, printable
from meshctl.model.ztunnel import ZtunnelDump

WIDE_COLUMNS = CERTIFICATE_COLUMNS + ("EXPIRES IN", "SPIFFE URI SANS", "ISSUER", "PROBLEMS")
DEFAULT_CERT_WARN = timedelta(hours=24)
# Istio's SECRET_GRACE_PERIOD_RATIO: certificates are renewed when half their lifetime is left.
ROTATION_RATIO = 0.5
ERROR, WARNING, INFO = "error", "warning", "info"
_SEVERITY_ORDER = (ERROR, WARNING, INFO)


@dataclass(frozen=True)
class CertificateCheck:
    """One certificate row with its decoded PEM and what is wrong with it (worst first)."""

    row: CertificateRow
    decoded: CertView | None
    problems: tuple[tuple[str, str], ...]  # (severity, message): error, warning or info (a note)

    @property
    def not_after(self) -> datetime | None:
        """The end of validity: the PEM's, else ztunnel's expirationTime."""
        if self.decoded is not None:
            return self.decoded.not_after
        return parse_rfc3339(self.row.cert.expiration_time) if self.row.cert else None


def check_certificates(dump: ZtunnelDump, now: datetime, cert_warn: timedelta = DEFAULT_CERT_WARN) -> list[CertificateCheck]:
    """Every certificate row of the dump, decoded and judged."""
    return [_check(row, now, cert_warn) for row in certificate_rows(dump)]


def _check(row: CertificateRow, now: datetime, cert_warn: timedelta) -> CertificateCheck:
    secret, cert = row.secret, row.cert
    problems: list[tuple[str, str]] = []
    unavailable = secret.state.startswith("Unavailable")
    if unavailable and "no longer needed" in secret.state:
        # ztunnel drops the certificate of an identity none of its node's workloads uses any more.
        problems.append((INFO, "no longer needed by a workload on this node"))
    elif unavailable:
        problems.append((ERROR, f"ztunnel has no certificate for this identity: {secret.state}"))
    if cert is None:
        if not unavailable:
            problems.append((WARNING, f"no certificate yet (state {secret.state or 'unknown'})"))
        return CertificateCheck(row, None, tuple(problems))
    decoded = None
    bundle = parse_bundle(cert.pem.encode("utf-8", "surrogatepass"))
    if bundle.problems:
        problems.append((ERROR, "PEM: " + "; ".join(bundle.problems)))
    elif bundle.certs:
        decoded = bundle.certs[0]
        problems += _disagreements(row, decoded)
    not_before = decoded.not_before if decoded else parse_rfc3339(cert.valid_from)
    not_after = decoded.not_after if decoded else parse_rfc3339(cert.expiration_time)
    if not_after is None or not_before is None:
        problems.append((ERROR, "validity unknown: timestamps do not parse"))
    elif not_after <= now:
        problems.append((ERROR, f"expired at {go_rfc3339(not_after)}"))
    elif not_before >= now:
        problems.append((ERROR, f"not valid before {go_rfc3339(not_before)}"))
    elif not_after - now < cert_warn and not_after - now < (not_after - not_before) * ROTATION_RATIO:
        # Istio's 24h workload certificates always have less than a day left; only one past its
        # rotation point (ztunnel renews at half the lifetime) means renewal is failing.
        problems.append((WARNING, f"expires in {format_duration(not_after - now)} ({go_rfc3339(not_after)}), within --cert-warn {format_duration(cert_warn)} and past its rotation point"))
    problems.sort(key=lambda problem: _SEVERITY_ORDER.index(problem[0]))
    return CertificateCheck(row, decoded, tuple(problems))


def _disagreements(row: CertificateRow, decoded: CertView) -> list[tuple[str, str]]:
    found = []
    cert = row.cert
    if parse_decimal(cert.serial_number) != int(decoded.serial or "0", 16):
        found.append((ERROR, f"the PEM's serial {decoded.serial} is not ztunnel's serialNumber"))
    stated = parse_rfc3339(cert.expiration_time)
    if stated is not None and stated != decoded.not_after:
        found.append((WARNING, f"the PEM expires {go_rfc3339(decoded.not_after)}, ztunnel says {cert.expiration_time}"))
    if row.kind == "Leaf" and row.secret.identity.startswith("spiffe://") and row.secret.identity not in decoded.spiffe_ids:
        shown = ",".join(decoded.spiffe_ids) or "no SPIFFE URI SAN"
        found.append((ERROR, f"the leaf is issued for {shown}, not {row.secret.identity}"))
    return found


def certificate_wide_table(dump: ZtunnelDump, now: datetime, cert_warn: timedelta = DEFAULT_CERT_WARN) -> Tabular:
    """istioctl's certificate table plus EXPIRES IN (as `pc secret -o wide`), SPIFFE URI SANS, ISSUER and PROBLEMS."""
    rows = []
    for checked in check_certificates(dump, now, cert_warn):
        base = certificate_cells(checked.row, now, None)
        decoded = checked.decoded
        left = time_left(checked.not_after - now) if checked.not_after else ""
        extra = [left, ",".join(decoded.spiffe_ids) if decoded else "", decoded.issuer if decoded else "", "; ".join(m for _, m in checked.problems)]
        rows.append(base + [printable(cell) for cell in extra])
    return Tabular(list(WIDE_COLUMNS), rows, padding=5)


def certificate_findings(dump: ZtunnelDump, now: datetime, cert_warn: timedelta, target: str) -> list[Finding]:
    """`check`'s view of one ztunnel's certificates: one finding per problem."""
    return [
        Finding(severity, "ztunnel-cert", f"{c.row.secret.identity} ({c.row.kind}): {message}", target)
        for c in check_certificates(dump, now, cert_warn)
        for severity, message in c.problems
    ]
