"""`ztunnel-config` views: istioctl's filters, row order and columns for a ZtunnelDump.

A port of istioctl/pkg/writer/ztunnel/configdump/{workload,services,policies,certificates,
connections,configdump}.go. istioctl's Print<X>Summary does filter + sort + print in one; here each
view is a pure function returning a Tabular (tables) or JSON-able data (``-o json|yaml``), written
by meshctl.render. Where Go iterates a map (a map-shaped section, workload states) its order is
random; meshctl uses the dump's order, and stable sorts. (Filters are NamedTuples, not
dataclasses: this module is imported on every `ztunnel-config` run.)
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from meshctl.analyze.filters import equal_fold  # Go's strings.EqualFold, as pc's filters use it
from meshctl.decode.ztunnel import go_json
from meshctl.model.tabular import Tabular, printable
from meshctl.model.ztunnel import Cert, CertsDump, GatewayAddress, WorkloadState, ZtunnelDump, ZtunnelService, ZtunnelWorkload

WORKLOAD_COLUMNS = ("NAMESPACE", "POD NAME", "ADDRESS", "NODE", "WAYPOINT", "PROTOCOL")
SERVICE_COLUMNS = ("NAMESPACE", "SERVICE NAME", "SERVICE VIP", "WAYPOINT", "ENDPOINTS")
POLICY_COLUMNS = ("NAMESPACE", "POLICY NAME", "ACTION", "SCOPE")
CERTIFICATE_COLUMNS = ("CERTIFICATE NAME", "TYPE", "STATUS", "VALID CERT", "SERIAL NUMBER", "NOT AFTER", "NOT BEFORE")
CONNECTION_COLUMNS = ("WORKLOAD", "DIRECTION", "LOCAL", "REMOTE", "REMOTE TARGET", "PROTOCOL")
# configdump.go ConfigWriter.tabwriter: padding 1; certificates.go uses its own with padding 5.
_PADDING = 1
_CERT_PADDING = 5


# --- filters (istioctl <X>Filter.Verify) ------------------------------------------------------


class WorkloadFilter(NamedTuple):
    """workload.go WorkloadFilter: every set field must match, case-insensitively."""

    address: str = ""
    node: str = ""
    namespace: str = ""
    name: str = ""  # a targeted workload pod

    def matches(self, workload: ZtunnelWorkload) -> bool:
        """workload.go WorkloadFilter.Verify."""
        if self.name and not equal_fold(workload.name, self.name):
            return False
        if self.namespace and not equal_fold(workload.namespace, self.namespace):
            return False
        if self.address and not any(equal_fold(ip, self.address) for ip in workload.workload_ips or ()):
            return False
        return not (self.node and not equal_fold(workload.node, self.node))


class NamespaceFilter(NamedTuple):
    """services.go ServiceFilter and policies.go PolicyFilter: the namespace, case-insensitively."""

    namespace: str = ""

    def matches(self, item) -> bool:
        """services.go ServiceFilter.Verify / policies.go PolicyFilter.Verify."""
        return not self.namespace or equal_fold(item.namespace, self.namespace)


class ConnectionsFilter(NamedTuple):
    """connections.go ConnectionsFilter. The namespace compares exactly, the workload name does not."""

    namespace: str = ""
    direction: str = ""  # "inbound" | "outbound"; anything else shows both
    raw: bool = False  # addresses as they are, not resolved to service or workload names
    workload: str = ""  # "name", or "name.namespace" when `namespace` is not set

    def normalized(self) -> ConnectionsFilter:
        """connections.go normalize: split "name.namespace" when no namespace was given."""
        if self.workload and not self.namespace and "." in self.workload:
            name, namespace = self.workload.split(".", 1)
            return ConnectionsFilter(namespace, self.direction, self.raw, name)
        return self

    def matches(self, state: WorkloadState) -> bool:
        """The namespace and workload tests of connections.go."""
        if self.namespace and self.namespace != state.info.namespace:
            return False
        return not (self.workload and not equal_fold(self.workload, state.info.name))


# --- workloads (workload.go) ------------------------------------------------------------------


def filtered_workloads(dump: ZtunnelDump, flt: WorkloadFilter) -> list[ZtunnelWorkload]:
    """The matching workloads in the dump's order (PrintWorkloadDump)."""
    return [workload for workload in dump.workloads or () if flt.matches(workload)]


def sorted_workloads(dump: ZtunnelDump, flt: WorkloadFilter) -> list[ZtunnelWorkload]:
    """PrintWorkloadSummary's order: "namespace.name", then node."""
    return sorted(filtered_workloads(dump, flt), key=lambda w: (f"{w.namespace}.{w.name}", w.node))


def workload_table(dump: ZtunnelDump, flt: WorkloadFilter) -> Tabular:
    """workload.go PrintWorkloadSummary."""
    rows = []
    for workload in sorted_workloads(dump, flt):
        address = ",".join(workload.workload_ips or ()) or workload.hostname
        waypoint = waypoint_name(workload.waypoint, dump.services or ())
        rows.append(_cells(workload.namespace, workload.name, address, workload.node, waypoint, workload.protocol))
    return Tabular(list(WORKLOAD_COLUMNS), rows, padding=_PADDING)


def workload_document(dump: ZtunnelDump, flt: WorkloadFilter) -> list:
    """workload.go PrintWorkloadDump (an empty result is `[]`)."""
    return go_json(filtered_workloads(dump, flt))


def waypoint_name(waypoint: GatewayAddress | None, services) -> str:
    """workload.go waypointName / serviceWaypointName: the service whose "namespace/hostname" or
    one of whose VIPs is the waypoint's destination; "None" without a waypoint, "NA" if unknown."""
    if waypoint is None:
        return "None"
    for service in services:
        if f"{service.namespace}/{service.hostname}" == waypoint.destination or waypoint.destination in (service.addresses or ()):
            return service.name
    return "NA"


# --- services and policies (services.go, policies.go) -----------------------------------------


def sorted_services(dump: ZtunnelDump, flt: NamespaceFilter) -> list[ZtunnelService]:
    """services.go: the matching services by namespace, name, hostname."""
    return sorted((s for s in dump.services or () if flt.matches(s)), key=lambda s: (s.namespace, s.name, s.hostname))


def service_table(dump: ZtunnelDump, flt: NamespaceFilter) -> Tabular:
    """services.go PrintServiceSummary: VIPs without their network, healthy/all endpoints."""
    by_uid = {workload.uid: workload for workload in dump.workloads or ()}
    rows = []
    for service in sorted_services(dump, flt):
        # strings.Cut(addr, "/"): the part after the network; a VIP without "/" shows as "".
        vips = ",".join(vip.partition("/")[2] for vip in service.addresses or ())
        endpoints = service.endpoints or {}
        healthy = sum(
            1 for ep in endpoints.values()
            if ep is not None and ep.workload_uid in by_uid and by_uid[ep.workload_uid].status == "Healthy"
        )  # fmt: skip
        waypoint = waypoint_name(service.waypoint, dump.services or ())
        rows.append(_cells(service.namespace, service.name, vips, waypoint, f"{healthy}/{len(endpoints)}"))
    return Tabular(list(SERVICE_COLUMNS), rows, padding=_PADDING)


def service_document(dump: ZtunnelDump, flt: NamespaceFilter) -> list:
    """services.go PrintServiceDump."""
    return go_json(sorted_services(dump, flt))


def sorted_policies(dump: ZtunnelDump, flt: NamespaceFilter) -> list:
    """policies.go: the matching policies by namespace, name."""
    return sorted((p for p in dump.policies or () if flt.matches(p)), key=lambda p: (p.namespace, p.name))


def policy_table(dump: ZtunnelDump, flt: NamespaceFilter) -> Tabular:
    """policies.go PrintPolicySummary."""
    rows = [_cells(p.namespace, p.name, p.action, p.scope) for p in sorted_policies(dump, flt)]
    return Tabular(list(POLICY_COLUMNS), rows, padding=_PADDING)


def policy_document(dump: ZtunnelDump, flt: NamespaceFilter) -> list:
    """policies.go PrintPolicyDump."""
    return go_json(sorted_policies(dump, flt))


# --- certificates (certificates.go) -----------------------------------------------------------

# time.Parse(time.RFC3339, ...): fractional seconds are accepted although the layout has none, after
# a period or a comma (Go >= 1.17, time/format.go commaOrPeriod).
_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:Z|([+-])(\d{2}):(\d{2}))")
_DECIMAL = re.compile(r"[+-]?[0-9]+")


def parse_rfc3339(text: str) -> datetime | None:
    """Go's time.Parse(time.RFC3339, text), or None when Go would fail."""
    match = _RFC3339.fullmatch(text)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    micro = int((match.group(7) or "0")[:6].ljust(6, "0"))
    offset = timedelta(0)
    if match.group(8):
        offset = timedelta(hours=int(match.group(9)), minutes=int(match.group(10)))
        offset = -offset if match.group(8) == "-" else offset
        if int(match.group(9)) > 23 or int(match.group(10)) > 59:
            return None
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone(offset))
    except ValueError:
        return None


def parse_decimal(decimal: str) -> int | None:
    """big.Int.SetString(decimal, 10): an optional sign and digits only, else None."""
    if not _DECIMAL.fullmatch(decimal):
        return None
    digits = decimal.lstrip("+-")
    value = 0
    for start in range(0, len(digits), 1000):  # int() refuses more than 4300 digits at once
        chunk = digits[start : start + 1000]
        value = value * 10 ** len(chunk) + int(chunk)
    return -value if decimal[0] == "-" else value


def serial_hex(decimal: str) -> str:
    """certificates.go: fmt %x of the big.Int parsed from ztunnel's decimal serial ("<nil>" if none)."""
    value = parse_decimal(decimal)
    return "<nil>" if value is None else f"{value:x}"


def cert_not_expired(cert: Cert, now: datetime, problems: list[str] | None = None) -> bool:
    """certificates.go certNotExpired: strictly between validFrom and expirationTime."""
    if not cert.expiration_time and not cert.valid_from:
        return False
    for text in (cert.expiration_time, cert.valid_from):
        if parse_rfc3339(text) is None:
            if problems is not None:
                problems.append(f"certificate timestamp ({text}) could not be parsed")
            return False
    return parse_rfc3339(cert.valid_from) < now < parse_rfc3339(cert.expiration_time)


def certificate_state(secret: CertsDump) -> str:
    """PrintSecretSummary shows every "Unavailable: <reason>" state as "Unavailable"."""
    return "Unavailable" if "Unavailable" in secret.state else secret.state


class CertificateRow(NamedTuple):
    """One row of the certificate table: a certificate of an identity's chain or roots."""

    secret: CertsDump
    kind: str  # Leaf | Intermediate | Root | NA (no certificate yet)
    cert: Cert | None


def certificate_rows(dump: ZtunnelDump) -> list[CertificateRow]:
    """certificates.go PrintSecretSummary's rows, in the dump's order."""
    rows = []
    for secret in dump.certificates or ():
        chain = secret.cert_chain or []
        if not chain:
            rows.append(CertificateRow(secret, "NA", None))
            continue
        legacy = not secret.root_certs  # before, the root was the chain's last certificate
        for index, cert in enumerate(chain):
            kind = "Leaf" if index == 0 else "Root" if index == len(chain) - 1 and legacy else "Intermediate"
            if cert is not None:
                rows.append(CertificateRow(secret, kind, cert))
        rows.extend(CertificateRow(secret, "Root", cert) for cert in secret.root_certs or () if cert is not None)
    return rows


def certificate_table(dump: ZtunnelDump, now: datetime, problems: list[str] | None = None) -> Tabular:
    """certificates.go PrintSecretSummary; timestamps that do not parse are added to `problems`."""
    return Tabular(list(CERTIFICATE_COLUMNS), [certificate_cells(row, now, problems) for row in certificate_rows(dump)], padding=_CERT_PADDING)


def certificate_cells(row: CertificateRow, now: datetime, problems: list[str] | None) -> list[str]:
    """certificates.go: the seven cells of one certificate row."""
    state = certificate_state(row.secret)
    if row.cert is None:
        return _cells(row.secret.identity, "NA", state, "false", "NA", "NA", "NA")
    cert = row.cert
    valid = "true" if cert_not_expired(cert, now, problems) else "false"
    return _cells(row.secret.identity, row.kind, state, valid, serial_hex(cert.serial_number), cert.expiration_time or "NA", cert.valid_from or "NA")


def certificate_document(dump: ZtunnelDump):
    """certificates.go PrintSecretDump: the certificates as read (null when the dump has none)."""
    return go_json(dump.certificates)


# --- connections (connections.go) -------------------------------------------------------------


def sorted_states(dump: ZtunnelDump, flt: ConnectionsFilter) -> list[WorkloadState]:
    """connections.go: workload states by namespace, name, filtered."""
    states = sorted((dump.workload_state or {}).values(), key=lambda s: (s.info.namespace, s.info.name))
    return [state for state in states if flt.matches(state)]


def connections_document(dump: ZtunnelDump, flt: ConnectionsFilter) -> list:
    """connections.go PrintConnectionsDump."""
    return go_json(sorted_states(dump, flt.normalized()))


def connections_table(dump: ZtunnelDump, flt: ConnectionsFilter) -> Tabular:
    """connections.go PrintConnectionsSummary: addresses named after the service or workload that
    owns the IP (first VIP / first workload IP), unless `raw`."""
    flt = flt.normalized()
    names: dict[str, str] = {}
    workload_names: dict[str, str] = {}
    for service in dump.services or ():
        vips = service.addresses or ()
        names[(vips[0].partition("/")[2] if vips else "") or "None"] = service.hostname
    for workload in dump.workloads or ():
        ips = workload.workload_ips or ()
        workload_names[(ips[0] if ips else "") or "None"] = f"{workload.name}.{workload.namespace}"

    def lookup(address: str) -> str:
        if flt.raw:
            return address
        host, port = split_host_port(address)
        for table in (names, workload_names):
            if host in table:
                return join_host_port(table[host], port)
        return address

    rows = []
    for state in sorted_states(dump, flt):
        name = f"{state.info.name}.{state.info.namespace}"
        if flt.direction != "outbound":
            for c in state.connections.inbound or ():
                rows.append(_cells(name, "Inbound", lookup(c.actual_dst), lookup(c.src), c.original_dst, c.protocol))
        if flt.direction != "inbound":
            for c in state.connections.outbound or ():
                rows.append(_cells(name, "Outbound", lookup(c.src), lookup(c.actual_dst), lookup(c.original_dst), c.protocol))
    return Tabular(list(CONNECTION_COLUMNS), rows, padding=_PADDING)


def split_host_port(address: str) -> tuple[str, str]:
    """Go's net.SplitHostPort; ("", "") where Go returns an error."""
    colon = address.rfind(":")
    if colon < 0:
        return "", ""
    start, end = 0, 0
    if address[0] == "[":
        close = address.find("]")
        if close < 0 or close + 1 != colon:
            return "", ""
        host, start, end = address[1:close], 1, close + 1
    else:
        host = address[:colon]
        if ":" in host:
            return "", ""
    if "[" in address[start:] or "]" in address[end:]:
        return "", ""
    return host, address[colon + 1 :]


def join_host_port(host: str, port: str) -> str:
    """Go's net.JoinHostPort."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# --- all (configdump.go) ----------------------------------------------------------------------


def full_tables(dump: ZtunnelDump, now: datetime, problems: list[str] | None = None) -> list[tuple[str, Tabular]]:
    """configdump.go PrintFullSummary's sections: (header title, table), unfiltered."""
    return [
        ("WORKLOAD INFO", workload_table(dump, WorkloadFilter())),
        ("SERVICE INFO", service_table(dump, NamespaceFilter())),
        ("POLICY INFO", policy_table(dump, NamespaceFilter())),
        ("SECRET INFO", certificate_table(dump, now, problems)),
        ("CONNECTIONS INFO", connections_table(dump, ConnectionsFilter())),
    ]


def _cells(*values: str) -> list[str]:
    return [printable(value) for value in values]


# --- log (ztunnelconfig.go logCmd) ------------------------------------------------------------

# ztunnelconfig.go stringToLevel: what --level accepts (ztunnel's own names are trace..error, off).
LOG_LEVELS = ("trace", "debug", "info", "warning", "warn", "error", "critical", "off")
_LOGGER_SEPARATOR = re.compile("[:=]")


def log_query(level: str, reset: bool) -> str:
    """The admin path `ztunnel-config log` POSTs: "logging?level=L" (plus "&reset").

    Raises ValueError with istioctl's message for a level it rejects. istioctl sends the level as
    given, except that "warning" and "critical" alone become ztunnel's "warn" and "error"
    (ztunnelLogLevel); --reset sends "level=info&reset".
    """
    from urllib.parse import quote

    if reset and level:
        raise ValueError("--level cannot be combined with --reset")
    if reset:
        return "logging?level=info&reset"
    for part in level.split(",") if level else ():
        if ":" not in part and "=" not in part:
            if part not in LOG_LEVELS:
                raise ValueError(f"unrecognized logging level: {part}")
            continue
        logger_and_level = part.split("::")[-1]  # a namespaced logger "ns::logger:level"
        pieces = _LOGGER_SEPARATOR.split(logger_and_level, maxsplit=1)
        if len(pieces) < 2 or pieces[1] not in LOG_LEVELS:
            raise ValueError(f"unrecognized logging level: {pieces[1] if len(pieces) > 1 else logger_and_level}")
    sent = {"warning": "warn", "critical": "error"}.get(level, level)
    return "logging?level=" + quote(sent, safe=":,=")
