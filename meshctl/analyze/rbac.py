"""Envoy's RBAC filter, evaluated for one request (source/extensions/filters/common/rbac/).

A policy matches when one of its permissions and one of its principals match (and it has no CEL
condition, which meshctl does not evaluate). An engine looks at its policies in name order (a
``std::map``): ALLOW lets the request through when one matches, DENY stops it when one matches,
LOG never stops it. The HTTP filter runs the shadow engine first (it only records
``<shadow_rules_stat_prefix>shadow_effective_policy_id`` / ``..._engine_result`` in the dynamic
metadata of ``envoy.filters.http.rbac``, which Istio's CUSTOM ext_authz filter keys on), then the
enforced engine, whose denial is a local 403 "RBAC: access denied".

Principals Istio generates and how meshctl knows their inputs:
- ``authenticated.principal_name``: the peer certificate's URI SANs, then DNS SANs, then its
  subject (RBAC AuthenticatedMatcher); only on an mTLS connection with a client certificate.
- ``filter_state io.istio.peer_principal``: set by Istio's ``istio_authn`` network filter from the
  same peer certificate; absent when the filter chain does not have that filter.
- ``direct_remote_ip`` / ``source_ip``: the connection's source address (SRC's workload IP);
  ``remote_ip``: the address DST's HTTP connection manager takes as the client's (the last
  X-Forwarded-For entry unless it uses the connection's address; meshctl.analyze.request).
- ``metadata`` of ``istio_authn`` / ``envoy.filters.http.jwt_authn`` (request principals, claims):
  absent without credentials; with an Authorization header, not evaluated.
Permissions: headers, url_path, uri_template (Istio's {*}/{**} paths), destination IP and port,
requested server name. Anything else (CEL conditions, custom matchers, other metadata) is Unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from meshctl.analyze.envoymatch import (
    Headers,
    Unknown,
    all3,
    any3,
    cidr_contains,
    header_match,
    metadata_match,
    not3,
    path_without_query,
    string_match,
    uri_template_match,
)

PEER_PRINCIPAL_KEY = "io.istio.peer_principal"
JWT_METADATA_FILTERS = ("istio_authn", "envoy.filters.http.jwt_authn")
RBAC_METADATA = "envoy.filters.http.rbac"


@dataclass
class Facts:
    """What DST's proxy knows when its RBAC filters run."""

    headers: Headers
    source_ip: str | None = None
    remote_ip: str | None = None  # the HCM's idea of the client address; None: not worked out
    destination_ip: str | None = None
    destination_port: int | None = None
    tls: bool = False
    sni: str = ""
    peer_uri_sans: tuple[str, ...] | None = None  # None: no client certificate (or not known)
    peer_dns_sans: tuple[str, ...] = ()
    peer_subject: str = ""
    peer_known: bool = True  # False: mTLS, but SRC's certificate is not in its dump
    filter_state: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, dict] = field(default_factory=dict)  # dynamic metadata by filter name
    credentials: bool = False  # the request carries an Authorization header
    unknown_headers: dict[str, str] = field(default_factory=dict)  # headers only Envoy knows
    network: bool = False  # a network (L4) RBAC filter: no headers

    @property
    def path(self) -> str | None:
        """The :path header (query included), or None on a network filter."""
        return None if self.network else self.headers.first(":path")


def _authenticated(node: Mapping, facts: Facts) -> bool | Unknown:
    if not facts.tls:
        return False
    if facts.peer_uri_sans is None:
        return Unknown("peer certificate not known (SRC's dump has no workload certificate)") if not facts.peer_known else False
    matcher = node.get("principal_name")
    if not isinstance(matcher, Mapping):
        return True
    return any3([*(string_match(matcher, san) for san in facts.peer_uri_sans),
                 *(string_match(matcher, san) for san in facts.peer_dns_sans),
                 string_match(matcher, facts.peer_subject)])  # fmt: skip


def _filter_state(node: Mapping, facts: Facts) -> bool | Unknown:
    key = str(node.get("key", ""))
    if key != PEER_PRINCIPAL_KEY:
        return Unknown(f"filter_state {key} not evaluated")
    if key not in facts.filter_state:
        if facts.peer_uri_sans is None and not facts.peer_known and facts.tls:
            return Unknown("peer certificate not known (SRC's dump has no workload certificate)")
        return False
    if not isinstance(node.get("string_match"), Mapping):
        return Unknown("filter_state matcher without string_match not evaluated")
    return string_match(node["string_match"], facts.filter_state[key])


def _metadata(node: Mapping, facts: Facts) -> bool | Unknown:
    name = str(node.get("filter", ""))
    if name in JWT_METADATA_FILTERS:
        if facts.credentials:
            return Unknown(f"request credentials ({name} metadata) not evaluated")
        return metadata_match(node, {})
    if name == RBAC_METADATA:
        return metadata_match(node, facts.metadata)
    return Unknown(f"metadata of {name or '?'} not evaluated")


def _url_path(node: Mapping, facts: Facts) -> bool | Unknown:
    path = facts.path
    if path is None:
        return False  # PathMatcher: no :path header (network RBAC)
    return string_match((node.get("path") or {}), path_without_query(path))


def _uri_template(node: Mapping, facts: Facts) -> bool | Unknown:
    typed = node.get("typed_config") if isinstance(node.get("typed_config"), Mapping) else {}
    if not str(typed.get("@type", "")).endswith("UriTemplateMatchConfig"):
        return Unknown(f"uri_template extension {typed.get('@type', '?')} not evaluated")
    path = facts.path
    return False if path is None else uri_template_match(str(typed.get("path_template", "")), path)


def _header(node: Mapping, facts: Facts) -> bool | Unknown:
    return header_match(node, Headers() if facts.network else facts.headers, facts.unknown_headers)


def _remote_ip(node: Mapping, facts: Facts) -> bool | Unknown:
    if facts.remote_ip is not None:
        return cidr_contains(node, facts.remote_ip)
    if not facts.network and "x-forwarded-for" in facts.headers:
        return Unknown("remote_ip from X-Forwarded-For not evaluated")
    return cidr_contains(node, facts.source_ip)


def _port_range(node: Mapping, facts: Facts) -> bool | Unknown:
    if facts.destination_port is None:
        return Unknown("destination port not known")
    return int(node.get("start", 0)) <= facts.destination_port < int(node.get("end", 0))


def _destination_port(value, facts: Facts) -> bool | Unknown:
    if facts.destination_port is None:
        return Unknown("destination port not known")
    return facts.destination_port == int(value)


_PERMISSION = {
    "header": _header,
    "url_path": _url_path,
    "uri_template": _uri_template,
    "destination_ip": lambda node, facts: cidr_contains(node, facts.destination_ip),
    "destination_port": _destination_port,
    "destination_port_range": _port_range,
    "metadata": _metadata,
    "requested_server_name": lambda node, facts: string_match(node, facts.sni),
}
_PRINCIPAL = {
    "authenticated": _authenticated,
    "source_ip": lambda node, facts: cidr_contains(node, facts.source_ip),
    "direct_remote_ip": lambda node, facts: cidr_contains(node, facts.source_ip),
    "remote_ip": _remote_ip,
    "header": _header,
    "url_path": _url_path,
    "metadata": _metadata,
    "filter_state": _filter_state,
}


def permission_matches(node: Mapping, facts: Facts) -> bool | Unknown:
    """envoy.config.rbac.v3.Permission (rbac/matchers.cc Matcher::create)."""
    return _node_matches(node, facts, _PERMISSION, ("and_rules", "or_rules", "not_rule", "rules"), permission_matches)


def principal_matches(node: Mapping, facts: Facts) -> bool | Unknown:
    """envoy.config.rbac.v3.Principal."""
    return _node_matches(node, facts, _PRINCIPAL, ("and_ids", "or_ids", "not_id", "ids"), principal_matches)


def _node_matches(node, facts: Facts, leaves, names, recurse) -> bool | Unknown:
    and_key, or_key, not_key, list_key = names
    if not isinstance(node, Mapping):
        return Unknown("malformed RBAC matcher not evaluated")
    for key, value in node.items():
        if key == and_key:
            return all3(recurse(child, facts) for child in (value or {}).get(list_key) or [])
        if key == or_key:
            return any3(recurse(child, facts) for child in (value or {}).get(list_key) or [])
        if key == not_key:
            return not3(recurse(value, facts))
        if key == "any":
            return bool(value)
        if key in leaves:
            return leaves[key](value if isinstance(value, Mapping) or key == "destination_port" else {}, facts)
        return Unknown(f"RBAC matcher {key} not evaluated")
    return Unknown("empty RBAC matcher not evaluated")


def policy_matches(policy: Mapping, facts: Facts) -> bool | Unknown:
    """envoy.config.rbac.v3.Policy: some permission and some principal (and no condition)."""
    parts = [
        any3(permission_matches(p, facts) for p in policy.get("permissions") or []),
        any3(principal_matches(p, facts) for p in policy.get("principals") or []),
    ]
    for key in ("condition", "checked_condition", "cel_config"):
        if key in policy:
            parts.append(Unknown(f"CEL {key} not evaluated"))
    return all3(parts)


@dataclass(frozen=True)
class EngineResult:
    """One engine's answer: allowed (True/False/Unknown) and the policy that decided it."""

    action: str
    allowed: bool | Unknown
    policy: str | None  # effective policy id (first matching policy by name), if known
    matched: tuple[str, ...]  # every policy that definitely matched
    unknown: tuple[tuple[str, str], ...]  # (policy, reason) of policies meshctl could not decide
    misses: tuple[tuple[str, str], ...] = ()  # (policy, what did not match) of the policies that did not

    def describe(self) -> str:
        """``ALLOW: allowed by NAME``, ``DENY: denied by NAME``, ``DENY: allowed (no policy matched)``."""
        if isinstance(self.allowed, Unknown):
            return f"{self.action}: unknown: {self.allowed.reason}"
        verdict = "allowed" if self.allowed else "denied"
        how = f" by {self.policy}" if self.policy else (" (no policy matched)" if self.action != "LOG" else "")
        return f"{self.action}: {verdict}{how}"


def _action(rules: Mapping) -> str:
    from meshctl.analyze.authz import rbac_action

    return rbac_action(rules)


def run_engine(rules: Mapping, facts: Facts) -> EngineResult:
    """RoleBasedAccessControlEngineImpl::handleAction for an RBAC message's rules."""
    action = _action(rules)
    policies = rules.get("policies") if isinstance(rules.get("policies"), Mapping) else {}
    matched, unknown = [], []
    effective: str | None = None
    effective_known = True
    misses = []
    for name in sorted(policies):
        policy = policies[name] if isinstance(policies[name], Mapping) else {}
        result = policy_matches(policy, facts)
        if result is False:
            misses.append((name, _missed(policy, facts)))
        if result is True:
            matched.append(name)
            if effective is None and effective_known:
                effective = name
        elif isinstance(result, Unknown):
            unknown.append((name, result.reason))
            if effective is None:
                effective_known = False  # an earlier policy might be the one Envoy reports
    any_match = True if matched else (Unknown(unknown[0][1]) if unknown else False)
    if action == "ALLOW":
        allowed = any_match
    elif action == "DENY":
        allowed = not3(any_match)
    elif action == "LOG":
        allowed = True
    else:
        allowed = Unknown(f"RBAC action {action} not evaluated")
    return EngineResult(action, allowed, effective if effective_known else None, tuple(matched), tuple(unknown), tuple(misses))


def _missed(policy: Mapping, facts: Facts) -> str:
    """Which half of a policy that did not match failed: "permissions", "principals" or both."""
    permissions = any3(permission_matches(p, facts) for p in policy.get("permissions") or [])
    principals = any3(principal_matches(p, facts) for p in policy.get("principals") or [])
    failed = [what for what, result in (("permissions (what the request does)", permissions), ("principals (who sends it)", principals)) if result is False]
    return " and ".join(failed) or "its condition"


@dataclass(frozen=True)
class RbacFilterResult:
    """What one RBAC filter did: its enforced and shadow engines, and whether it let the request on."""

    enforced: EngineResult | None
    shadow: EngineResult | None
    disabled_by_route: bool = False

    @property
    def allowed(self) -> bool | Unknown:
        """Whether the filter lets the request on (a filter without enforced rules always does)."""
        return True if self.enforced is None else self.enforced.allowed


def run_rbac_filter(config: Mapping, facts: Facts) -> RbacFilterResult:
    """RoleBasedAccessControlFilter::decodeHeaders: shadow engine (metadata), then enforced."""
    for key in ("matcher", "shadow_matcher"):
        if key in config:
            unknown = EngineResult("MATCHER", Unknown(f"RBAC {key} (matcher API) not evaluated"), None, (), ())
            return RbacFilterResult(unknown, None)
    shadow = None
    if isinstance(config.get("shadow_rules"), Mapping):
        shadow = run_engine(config["shadow_rules"], facts)
        prefix = str(config.get("shadow_rules_stat_prefix", ""))
        fields = facts.metadata.setdefault(RBAC_METADATA, {})
        if shadow.policy is not None:
            fields[f"{prefix}shadow_effective_policy_id"] = shadow.policy
        elif shadow.unknown and not shadow.matched:
            fields[f"{prefix}shadow_effective_policy_id"] = Unknown(f"shadow policy {shadow.unknown[0][0]}: {shadow.unknown[0][1]}")
        elif shadow.unknown:
            fields[f"{prefix}shadow_effective_policy_id"] = Unknown("which shadow policy matched first")
        result = shadow.allowed
        fields[f"{prefix}shadow_engine_result"] = result if isinstance(result, Unknown) else ("allowed" if result else "denied")
    enforced = run_engine(config["rules"], facts) if isinstance(config.get("rules"), Mapping) else None
    return RbacFilterResult(enforced, shadow)
