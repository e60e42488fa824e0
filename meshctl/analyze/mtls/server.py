"""`explain mtls`, the server side (DST): step 4 of the evidence chain.

DST's inbound listener (``virtualInbound``, port 15006) picks a filter chain by destination port,
destination IP, SNI, transport protocol ("tls" / "raw_buffer") and ALPN, most specific first and
without backtracking (envoy filter_chain_manager_impl.cc). A chain with a DownstreamTlsContext
terminates TLS; mTLS STRICT offers only such chains for the port, PERMISSIVE both kinds,
plaintext (DISABLE) only raw_buffer ones. Pure.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from meshctl.analyze.envoy import listener_port
from meshctl.analyze.mtls.client import is_ip
from meshctl.analyze.summaries import describe_chain_match
from meshctl.analyze.tls import cluster_tls_rows
from meshctl.decode.configdump import ConfigDump
from meshctl.decode.resources import listeners
from meshctl.model.views import WARMING, ListenerView

INBOUND_CAPTURE_PORT = 15006  # istio: iptables redirects inbound traffic here (virtualInbound)
VIRTUAL_INBOUND = "virtualInbound"
# Istio clients offer these ALPNs on mTLS (pilot/pkg/networking/util ALPNInMeshWithMxc).
ISTIO_MTLS_ALPN = ("istio-peer-exchange", "istio")
STRICT, PERMISSIVE, PLAINTEXT_ONLY, NO_CHAIN = "STRICT", "PERMISSIVE", "plaintext", "no matching filter chain"


@dataclass(frozen=True)
class ServerSide:
    """What DST's inbound listener does with a connection on the port."""

    listener: str
    port: int
    mode: str  # STRICT | PERMISSIVE | plaintext | no matching filter chain
    chain: str  # the chain the client's connection selects ("(unnamed)" when it has no name, "" when none)
    chain_match: str  # istioctl's MATCH text of that chain
    terminates_tls: bool
    require_client_certificate: bool
    cert_secrets: tuple[str, ...] = ()
    validation_secrets: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """The JSON form."""
        return {
            "listener": self.listener, "port": self.port, "mode": self.mode, "chain": self.chain,
            "chainMatch": self.chain_match, "terminatesTls": self.terminates_tls,
            "requireClientCertificate": self.require_client_certificate,
            "certSecrets": list(self.cert_secrets), "validationSecrets": list(self.validation_secrets),
        }  # fmt: skip


# --- step 4: DST's inbound filter chains ----------------------------------------------------------


def _value(value):
    return value.get("value") if isinstance(value, dict) else value


def _prefix_score(match: Mapping, ip: str | None) -> int | None:
    """Longest prefix length containing `ip`; -1 when the chain has no ranges; None: no match."""
    ranges = match.get("prefix_ranges") or []
    if not ranges:
        return -1
    if ip is None or not is_ip(ip):
        return 0  # unknown destination IP: treat the ranges as matching
    address = ipaddress.ip_address(ip)
    best = None
    for cidr in ranges:
        try:
            network = ipaddress.ip_network(f"{cidr.get('address_prefix', '')}/{_value(cidr.get('prefix_len')) or 0}", strict=False)
        except ValueError:
            continue
        if address.version == network.version and address in network:
            best = max(best if best is not None else -1, network.prefixlen)
    return best


def _narrow(chains: list[dict], keep) -> list[dict]:
    """Envoy's rule per criterion: chains naming the value win; else the ones not using the criterion."""
    scored = [(keep(chain.get("filter_chain_match") or {}), chain) for chain in chains]
    scored = [(score, chain) for score, chain in scored if score is not None]
    if not scored:
        return []
    best = max(score for score, _ in scored)
    return [chain for score, chain in scored if score == best]


def _server_name_score(match: Mapping, sni: str) -> tuple[int, int] | None:
    """(2, 0) for the exact name, (1, length) for a wildcard, (0, 0) for a chain without names; None: no match.

    Envoy's FilterChainMatch.server_names: ``www.example.com`` is matched against ``www.example.com``,
    then ``*.example.com``, then ``*.com``: the exact name first, then the longest wildcard.
    """
    names = match.get("server_names") or []
    if not names:
        return 0, 0
    best = None
    for name in names:
        if name == sni:
            return 2, 0
        if name.startswith("*.") and sni.endswith(name[1:]):
            best = max(best or (1, 0), (1, len(name)))
    return best


def select_chain(listener: Mapping, *, port: int, ip: str | None, transport: str, alpn: tuple[str, ...], sni: str) -> dict | None:
    """The filter chain Envoy picks for a connection (filter_chain_manager_impl.cc), or None."""
    chains = [c for c in listener.get("filter_chains") or [] if isinstance(c, dict)]
    steps = (
        lambda m: 1 if _value(m.get("destination_port")) == port else (0 if m.get("destination_port") is None else None),
        lambda m: _prefix_score(m, ip),
        lambda m: _server_name_score(m, sni),
        lambda m: 1 if m.get("transport_protocol") == transport else (0 if not m.get("transport_protocol") else None),
        lambda m: (1 if set(m.get("application_protocols") or []) & set(alpn) else None) if m.get("application_protocols") else 0,
    )
    for step in steps:
        chains = _narrow(chains, step)
        if not chains:
            break
    if chains:
        return chains[0]
    default = listener.get("default_filter_chain")
    return default if isinstance(default, dict) else None


def _downstream_tls(chain: Mapping | None) -> dict | None:
    socket = chain.get("transport_socket") if isinstance(chain, dict) else None
    typed = socket.get("typed_config") if isinstance(socket, dict) and isinstance(socket.get("typed_config"), dict) else None
    if typed is None:
        return None
    if str(typed.get("@type", "")).endswith("DownstreamTlsContext") or socket.get("name") == "envoy.transport_sockets.tls":
        return typed
    return None


def inbound_listener(dst: ConfigDump, port: int) -> ListenerView | None:
    """DST's virtualInbound (port 15006), else a per-port INBOUND listener (Istio < 1.8)."""
    return inbound_listener_of(listeners(dst), port)


def inbound_listener_of(views: Iterable[ListenerView], port: int) -> ListenerView | None:
    """`inbound_listener` over listener views already decoded (a ServerFacts' inbound listeners)."""
    views = sorted(views, key=lambda v: v.state == WARMING)
    for view in views:
        if view.name == VIRTUAL_INBOUND or listener_port(view.raw) == INBOUND_CAPTURE_PORT:
            return view
    for view in views:
        if view.raw.get("traffic_direction") == "INBOUND" and listener_port(view.raw) == port:
            return view
    return None


def server_side(listener: ListenerView, *, port: int, ip: str | None, transport: str, alpn: tuple[str, ...], sni: str) -> ServerSide:
    """DST's posture for `port` and the chain this client's connection lands on."""
    tls_chain = select_chain(listener.raw, port=port, ip=ip, transport="tls", alpn=alpn or ISTIO_MTLS_ALPN, sni=sni)
    plain_chain = select_chain(listener.raw, port=port, ip=ip, transport="raw_buffer", alpn=(), sni="")
    accepts_tls = _downstream_tls(tls_chain) is not None
    accepts_plain = plain_chain is not None and _downstream_tls(plain_chain) is None
    mode = {(True, False): STRICT, (True, True): PERMISSIVE, (False, True): PLAINTEXT_ONLY}.get((accepts_tls, accepts_plain), NO_CHAIN)
    chain = tls_chain if transport == "tls" else plain_chain
    context = _downstream_tls(chain)
    certs: tuple[str, ...] = ()
    validation: tuple[str, ...] = ()
    if context is not None:
        # Same TLS-context reader as `pc tls`, on a cluster-shaped wrapper of the chain's socket.
        row = cluster_tls_rows({"name": "", "transport_socket": chain["transport_socket"]}, {})[0]
        certs, validation = row.cert_secrets, row.validation_secrets
    return ServerSide(
        listener=listener.name,
        port=port,
        mode=mode,
        chain=str(chain.get("name") or "(unnamed)") if chain else "",  # "" only when no chain matches: a chain's name is optional
        chain_match=describe_chain_match(chain.get("filter_chain_match")) if chain else "",
        terminates_tls=context is not None,
        require_client_certificate=bool(_value((context or {}).get("require_client_certificate"))),
        cert_secrets=certs,
        validation_secrets=validation,
    )


# --- step 3 + verdict per endpoint ---------------------------------------------------------------


def san_matches(matcher: str, san: str) -> bool:
    """Does a SAN matcher (``exact``, or ``prefix:``, ``suffix:``, ``contains:``, ``regex:`` as pc tls shows it) accept `san`."""
    kind, sep, value = matcher.partition(":")
    if not sep or kind not in ("prefix", "suffix", "contains", "regex"):
        return matcher == san
    if kind == "regex":
        try:
            return re.fullmatch(value, san) is not None
        except re.error:
            return False
    return {"prefix": san.startswith, "suffix": san.endswith, "contains": lambda v: v in san}[kind](value)
