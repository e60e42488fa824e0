"""`authz check`: the AuthorizationPolicies a proxy enforces, read from its RBAC filters.

istioctl `x authz check` (istioctl/pkg/authz/listener.go: parse, extractName, Print) lists, for
the active dynamic listeners only, every RBAC filter of every filter chain: HTTP RBAC filters
inside an HTTP connection manager and network RBAC filters. Each policy name Istio generated
(pilot/pkg/security/authz/builder/builder.go policyName: ``ns[NS]-policy[NAME]-rule[I]``, with an
``istio-ext-authz-[PROVIDER-]`` prefix for CUSTOM) becomes a row ``ACTION  NAME.NS  RULES``:

- ACTION is the RBAC rules' action (ALLOW when a filter has no ``rules``); shadow policies whose
  name starts with ``istio-ext-authz-`` are CUSTOM (builder.go buildHTTP: the CUSTOM action is an
  RBAC filter in shadow mode plus ext_authz); other shadow (dry-run) policies are not listed.
- A filter with no enforced policy adds ``_anonymous_match_nothing_`` with rule "0".
- RULES counts the distinct rule indexes seen for that policy name, across all actions.
- Rows go DENY, ALLOW, LOG, CUSTOM, names sorted within each; the tabwriter pads with 3.

Every branch of istioctl's reader is kept, including the quiet ones: an RBAC filter without a
``typed_config`` counts as an empty RBAC (istioctl unmarshals nothing and keeps it), one whose
@type is another message is skipped (UnmarshalTo fails), a listener whose @type is not a v3
Listener contributes no chains, and no listener at all prints nothing, not even the header.

`-o wide` and `-o json` are meshctl's: where each policy is (listeners and their filter chains),
and the values its rules test (principals, namespaces, paths, methods, ports...).

Pure: input is a decoded ConfigDump.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from meshctl.decode.configdump import ConfigDump
from meshctl.errors import DecodeError
from meshctl.model.tabular import Tabular

ANONYMOUS = "_anonymous_match_nothing_"  # listener.go anonymousName
ACTIONS = ("DENY", "ALLOW", "LOG", "CUSTOM")  # listener.go Print: the order rows are printed in
EXT_AUTHZ_PREFIX = "istio-ext-authz-"
# listener.go `re`: unanchored, greedy; Go's leftmost-first submatch semantics are Python's.
_POLICY_NAME = re.compile(r"(?:istio-ext-authz-)?ns\[(.+)\]-policy\[(.+)\]-rule\[(.+)\]")

# pkg/wellknown (go-control-plane) names istioctl compares filters against, exactly.
HCM_NAMES = ("envoy.filters.network.http_connection_manager", "envoy.http_connection_manager")
HTTP_RBAC = "envoy.filters.http.rbac"
NETWORK_RBAC = "envoy.filters.network.rbac"
HCM_TYPE = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
HTTP_RBAC_TYPE = "envoy.extensions.filters.http.rbac.v3.RBAC"
NETWORK_RBAC_TYPE = "envoy.extensions.filters.network.rbac.v3.RBAC"
LISTENER_TYPE = "envoy.config.listener.v3.Listener"
# envoy/config/rbac/v3/rbac.proto RBAC.Action: protobuf JSON may carry the name or the number.
_ACTION_NUMBERS = {0: "ALLOW", 1: "DENY", 2: "LOG"}


@dataclass(frozen=True)
class RbacFilter:
    """One RBAC filter as istioctl sees it, with where it sits (for -o wide / json)."""

    listener: str
    chain: str  # filter chain name, or "#<index>" when unnamed
    kind: str  # "http" | "network"
    config: dict  # the RBAC message (typed_config without @type); {} when not typed


@dataclass
class PolicyRow:
    """One AuthorizationPolicy (NAME.NS) under one action, with the rules seen for it."""

    action: str
    name: str
    rules: set[str] = field(default_factory=set)  # shared by every action the name appears under
    places: list[str] = field(default_factory=list)  # "listener/chain" where it is enforced
    policies: dict[str, dict] = field(default_factory=dict)  # Envoy policy name -> RBAC Policy


@dataclass
class AuthzCheck:
    """Every policy row, istioctl's way, plus what meshctl shows in -o wide / json."""

    rows: list[PolicyRow]
    listeners: int  # active dynamic listeners read
    warnings: list[str] = field(default_factory=list)


def _message_name(typed: Mapping) -> str:
    # anypb UnmarshalTo compares the part of the type URL after the last "/".
    return str(typed.get("@type", "")).rpartition("/")[2]


def _typed(item: Mapping, expected: str, warnings: list[str], what: str) -> dict | None:
    """istioctl getFilterConfig: typed_config of the expected type -> its fields; not typed -> {};
    typed as another message -> None (istioctl logs "failed to parse" and skips it)."""
    typed = item.get("typed_config")
    if not isinstance(typed, dict):
        return {}
    if _message_name(typed) != expected:
        warnings.append(f"{what}: typed_config is {_message_name(typed) or 'untyped'}, not {expected}: skipped")
        return None
    return {key: value for key, value in typed.items() if key != "@type"}


def active_listeners(dump: ConfigDump) -> list[dict]:
    """istioctl GetDynamicListenerDump: the active state of each dynamic listener (draining and
    warming states dropped), static listeners ignored."""
    section = dump.section("ListenersConfigDump")
    if section is None:
        raise DecodeError("config dump has no configuration type type.googleapis.com/envoy.admin.v3.ListenersConfigDump")
    found = []
    for entry in section.get("dynamic_listeners") or []:
        active = entry.get("active_state") if isinstance(entry, dict) else None
        if isinstance(active, dict) and isinstance(active.get("listener"), dict):
            found.append(active["listener"])
    return found


def rbac_filters(listeners: Iterable[Mapping], warnings: list[str]) -> list[RbacFilter]:
    """istioctl parse(): the HTTP and network RBAC filters of every filter chain, in order."""
    found = []
    for listener in listeners:
        name = str(listener.get("name", ""))
        if _message_name(listener) != LISTENER_TYPE:
            # istioctl re-types the Any as a v3 Listener; a v2 one decodes to no chains.
            continue
        for index, chain in enumerate(c for c in listener.get("filter_chains") or [] if isinstance(c, dict)):
            chain_name = str(chain.get("name") or f"#{index}")
            for item in chain.get("filters") or []:
                if not isinstance(item, dict):
                    continue
                where = f"listener {name} chain {chain_name} filter {item.get('name', '')}"
                if item.get("name") in HCM_NAMES:
                    manager = _typed(item, HCM_TYPE, warnings, where)
                    for http_filter in (manager or {}).get("http_filters") or []:
                        if isinstance(http_filter, dict) and http_filter.get("name") == HTTP_RBAC:
                            config = _typed(http_filter, HTTP_RBAC_TYPE, warnings, f"{where} http filter {HTTP_RBAC}")
                            if config is not None:
                                found.append(RbacFilter(name, chain_name, "http", config))
                elif item.get("name") == NETWORK_RBAC:
                    config = _typed(item, NETWORK_RBAC_TYPE, warnings, where)
                    if config is not None:
                        found.append(RbacFilter(name, chain_name, "network", config))
    return found


def rbac_action(rules: Mapping | None) -> str:
    """RBAC.Action as Go's String() prints it: the name, or the number for values it lacks.
    An unknown name is dropped by istioctl's lenient JSON reader, leaving ALLOW (0)."""
    value = (rules or {}).get("action", 0)
    if isinstance(value, bool):
        return "ALLOW"
    if isinstance(value, int):
        return _ACTION_NUMBERS.get(value, str(value))
    return value if value in _ACTION_NUMBERS.values() else "ALLOW"


def split_policy_name(name: str) -> tuple[str, str] | None:
    """``ns[foo]-policy[deny-get]-rule[0]`` -> ("deny-get.foo", "0"); None when not Istio's form."""
    match = _POLICY_NAME.search(name)
    if match is None:
        return None
    return f"{match.group(2)}.{match.group(1)}", match.group(3)


def _policies(rules: Mapping | None) -> dict[str, dict]:
    policies = (rules or {}).get("policies")
    return {str(k): v if isinstance(v, dict) else {} for k, v in policies.items()} if isinstance(policies, dict) else {}


def authz_check(dump: ConfigDump) -> AuthzCheck:
    """The policy rows of a dump (istioctl listener.go Print, before formatting)."""
    warnings: list[str] = []
    listeners = active_listeners(dump)
    rows: dict[tuple[str, str], PolicyRow] = {}
    rules_by_name: dict[str, set[str]] = {}

    def add(action: str, envoy_name: str, policy: dict | None, place: str) -> None:
        if envoy_name == ANONYMOUS:
            name, rule = ANONYMOUS, "0"
        else:
            split = split_policy_name(envoy_name)
            if split is None:
                warnings.append(f"failed to parse policy name: {envoy_name}")  # istioctl logs the same
            name, rule = split or ("", "")
        row = rows.get((action, name))
        if row is None:
            row = rows[(action, name)] = PolicyRow(action, name, rules_by_name.setdefault(name, set()))
        row.rules.add(rule)
        if place not in row.places:
            row.places.append(place)
        if policy is not None:
            row.policies[envoy_name] = policy

    for item in rbac_filters(listeners, warnings):
        place = f"{item.listener}/{item.chain}"
        rules = item.config.get("rules") if isinstance(item.config.get("rules"), dict) else None
        action = rbac_action(rules)
        policies = _policies(rules)
        for envoy_name, policy in policies.items():
            add(action, envoy_name, policy, place)
        for envoy_name, policy in _policies(item.config.get("shadow_rules") if isinstance(item.config.get("shadow_rules"), dict) else None).items():
            if envoy_name.startswith(EXT_AUTHZ_PREFIX):
                add("CUSTOM", envoy_name, policy, place)
        if not policies:
            add(action, ANONYMOUS, None, place)
    ordered = [rows[key] for action in ACTIONS for key in sorted(k for k in rows if k[0] == action)]
    return AuthzCheck(ordered, len(listeners), warnings)


def authz_table(check: AuthzCheck) -> Tabular:
    """istioctl's table: ACTION, AuthorizationPolicy, RULES (tabwriter padding 3).

    With no listener at all istioctl prints nothing, not even the header: columns are then empty.
    """
    if not check.listeners:
        return Tabular([], [], padding=3, empty_msg="no active dynamic listeners: no AuthorizationPolicy to show")
    return Tabular(["ACTION", "AuthorizationPolicy", "RULES"], [[r.action, r.name, str(len(r.rules))] for r in check.rows], padding=3)


# --- -o wide / json: what the rules test ---------------------------------------------------------

WIDE_FIELDS = ("principals", "namespaces", "paths", "methods", "ports")
DOCUMENT_FIELDS = (*WIDE_FIELDS, "hosts", "headers", "source_ips", "remote_ips")  # -o json shows these too
# pilot/pkg/security/authz/model/generator.go srcNamespaceGenerator: ".*/ns/<ns>/.*"
_NAMESPACE_REGEX = re.compile(r"^\.\*/ns/(.+)/\.\*$")


def _string_matcher_text(matcher: Mapping) -> str:
    for kind in ("exact", "prefix", "suffix", "contains"):
        if kind in matcher:
            text = str(matcher[kind])
            return {"exact": text, "prefix": f"{text}*", "suffix": f"*{text}", "contains": f"*{text}*"}[kind]
    if isinstance(matcher.get("safe_regex"), dict):
        return f"~{matcher['safe_regex'].get('regex', '')}"
    return "?"


def _header_value_text(header: Mapping) -> str:
    if isinstance(header.get("string_match"), dict):
        return _string_matcher_text(header["string_match"])
    for kind, fmt in (("exact_match", "{}"), ("prefix_match", "{}*"), ("suffix_match", "*{}"), ("contains_match", "*{}*")):
        if kind in header:
            return fmt.format(header[kind])
    if isinstance(header.get("safe_regex_match"), dict):
        return f"~{header['safe_regex_match'].get('regex', '')}"
    if "present_match" in header:
        return "*" if header["present_match"] else "(absent)"
    return "?"


def rule_values(node, negated: bool = False, found: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """The values a Permission/Principal tree tests, by kind; "!" marks values under a not_."""
    found = found if found is not None else {key: [] for key in DOCUMENT_FIELDS}

    def put(kind: str, value: str) -> None:
        text = f"!{value}" if negated else value
        if text not in found[kind]:
            found[kind].append(text)

    if isinstance(node, list):
        for child in node:
            rule_values(child, negated, found)
        return found
    if not isinstance(node, dict):
        return found
    for key, value in node.items():
        if key in ("not_rule", "not_id"):
            rule_values(value, not negated, found)
        elif key in ("and_rules", "or_rules", "and_ids", "or_ids"):
            rule_values((value or {}).get("rules") or (value or {}).get("ids") or [], negated, found)
        elif key in ("permissions", "principals"):
            rule_values(value, negated, found)
        elif key == "header" and isinstance(value, dict):
            name = str(value.get("name", ""))
            if name == ":method":
                put("methods", _header_value_text(value))
            elif name == ":authority":
                put("hosts", _header_value_text(value))
            else:
                put("headers", f"{name}={_header_value_text(value)}")
        elif key == "url_path" and isinstance(value, dict):
            put("paths", _string_matcher_text(value.get("path") or {}))
        elif key == "uri_template" and isinstance(value, dict):
            put("paths", str(((value.get("typed_config") or {}).get("path_template")) or "?"))
        elif key in ("direct_remote_ip", "source_ip", "remote_ip") and isinstance(value, dict):
            prefix = value.get("prefix_len", 0)
            prefix = prefix.get("value", 0) if isinstance(prefix, dict) else prefix
            put("remote_ips" if key == "remote_ip" else "source_ips", f"{value.get('address_prefix', '')}/{prefix}")
        elif key == "destination_port":
            put("ports", str(value))
        elif key == "destination_port_range" and isinstance(value, dict):
            put("ports", f"{value.get('start', 0)}-{int(value.get('end', 0)) - 1}")
        elif key in ("authenticated", "filter_state") and isinstance(value, dict):
            matcher = value.get("principal_name") if key == "authenticated" else value.get("string_match")
            if key == "filter_state" and value.get("key") != "io.istio.peer_principal":
                continue
            if not isinstance(matcher, dict):
                put("principals", "*")
                continue
            regex = (matcher.get("safe_regex") or {}).get("regex", "") if isinstance(matcher.get("safe_regex"), dict) else ""
            namespace = _NAMESPACE_REGEX.match(regex)
            if namespace:
                put("namespaces", namespace.group(1).replace(".*", "*").replace("\\", ""))
            else:
                put("principals", _string_matcher_text(matcher))
    return found


def authz_wide_table(check: AuthzCheck) -> Tabular:
    """istioctl's three columns, then where each policy is enforced and what its rules test."""
    base = authz_table(check)
    if not base.columns:
        return base
    columns = [*base.columns, "LISTENER[CHAINS]", *(name.upper() for name in WIDE_FIELDS)]
    rows = []
    for row, cells in zip(check.rows, base.rows):
        values = rule_values(list(row.policies.values()))
        chains: dict[str, list[str]] = {}
        for place in row.places:
            listener, _, chain = place.partition("/")
            chains.setdefault(listener, []).append(chain)
        where = ",".join(f"{listener}[{','.join(names)}]" for listener, names in chains.items())
        rows.append([*cells, where or "-", *(",".join(values[key]) or "-" for key in WIDE_FIELDS)])
    return Tabular(columns, rows, padding=3)


def authz_document(check: AuthzCheck) -> dict:
    """The JSON/YAML form (docs/json.md meshctl.authz/v1): camelCase keys; `envoyPolicies` are Envoy's RBAC policies as they are."""
    from meshctl.model.document import camel

    return {
        "schemaVersion": "meshctl.authz/v1",
        "policies": [
            {
                "action": row.action,
                "name": row.name,
                "rules": len(row.rules),
                "ruleIndexes": sorted(row.rules),
                "enforcedAt": list(row.places),
                **{camel(kind): values for kind, values in rule_values(list(row.policies.values())).items()},
                "envoyPolicies": dict(sorted(row.policies.items())),
            }
            for row in check.rows
        ],
        "warnings": list(check.warnings),
    }
