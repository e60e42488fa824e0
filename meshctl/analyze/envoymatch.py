"""Envoy's matchers, evaluated the way Envoy evaluates them, with a third answer: Unknown.

Each function takes a matcher from a config dump (Envoy's snake_case JSON) and the request facts,
and returns True, False, or ``Unknown(reason)`` when meshctl does not evaluate something (a
custom matcher, a value only Envoy knows such as a generated request id). Unknowns combine with
Kleene's three-valued logic (`all3`, `any3`, `not3`), so an unknown that cannot change the
answer (an OR branch beside one that matched) does not make the verdict unknown.

Semantics follow Envoy 1.40 (source/common/common/matchers.cc StringMatcherImpl,
source/common/http/header_utility.cc HeaderData::matchesHeaders, source/common/router/
config_utility.cc QueryParameterMatcher, source/common/common/regex.cc CompiledGoogleReMatcher):

- String matchers: ``ignore_case`` folds ASCII only (absl::EqualsIgnoreCase), not Unicode.
- ``safe_regex`` is a full match with RE2 (``RE2::FullMatch``), run here by RE2 itself
  (google-re2), not Python's ``re``: the syntax and semantics differ (no backreferences or
  lookaround in RE2, ``\\Z``, possessive forms, leftmost-first vs POSIX), and RE2 runs in linear
  time on hostile patterns from a dump.
- Header matchers: a header sent several times matches when one of its values does (then
  ``invert_match`` inverts); a missing header matches only ``present_match: false`` (or,
  inverted, ``present_match: true``), whatever ``invert_match`` says for other kinds, unless
  ``treat_missing_header_as_empty``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Unknown:
    """A matcher meshctl did not evaluate, and why ("unknown: <what> not evaluated")."""

    reason: str

    def __bool__(self) -> bool:  # an Unknown must never be taken for True or False by accident
        raise TypeError("Unknown has no truth value: use is True / is False")


def _kleene(values: Iterable, decisive: bool) -> bool | Unknown:
    """The first `decisive` value wins, then the first Unknown, else the other boolean."""
    unknown = None
    for value in values:
        if value is decisive:
            return decisive
        if isinstance(value, Unknown) and unknown is None:
            unknown = value
    return unknown if unknown is not None else not decisive


def all3(values: Iterable) -> bool | Unknown:
    """Kleene AND: False wins, then the first Unknown, else True (empty: True)."""
    return _kleene(values, False)


def any3(values: Iterable) -> bool | Unknown:
    """Kleene OR: True wins, then the first Unknown, else False (empty: False)."""
    return _kleene(values, True)


def not3(value) -> bool | Unknown:
    """Kleene NOT: an Unknown stays unknown."""
    return value if isinstance(value, Unknown) else not value


def _ascii_lower(text: str) -> str:
    # absl::AsciiStrToLower: only A-Z change; "İ".lower() in Python would change length.
    return text.translate(_LOWER)


_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def full_match(pattern: str, value: str) -> bool | Unknown:
    """RE2::FullMatch(value, pattern) with Envoy's options (RE2::Quiet: UTF-8, case-sensitive)."""
    try:
        import re2
    except ImportError:  # pragma: no cover - google-re2 is a dependency
        return Unknown(f"safe_regex {pattern!r} not evaluated (google-re2 not installed)")
    compiled = _compiled(pattern, re2)
    if compiled is None:
        return Unknown(f"safe_regex {pattern!r} not evaluated (RE2 does not compile it)")
    return compiled.fullmatch(value) is not None


_REGEX_CACHE: dict[str, object] = {}


def _compiled(pattern: str, re2):
    if pattern in _REGEX_CACHE:
        return _REGEX_CACHE[pattern]
    options = re2.Options()
    options.log_errors = False  # Envoy builds RE2 with RE2::Quiet
    try:
        compiled = re2.compile(pattern, options=options)
    except re2.error:
        compiled = None
    if len(_REGEX_CACHE) < 4096:
        _REGEX_CACHE[pattern] = compiled
    return compiled


def string_match(matcher: Mapping | None, value: str) -> bool | Unknown:
    """envoy.type.matcher.v3.StringMatcher against `value`."""
    if not isinstance(matcher, Mapping):
        return Unknown("string matcher without a pattern not evaluated")
    ignore_case = bool(matcher.get("ignore_case"))
    folded = _ascii_lower(value) if ignore_case else value

    def fold(text) -> str:
        return _ascii_lower(str(text)) if ignore_case else str(text)

    if "exact" in matcher:
        return folded == fold(matcher["exact"])
    if "prefix" in matcher:
        return folded.startswith(fold(matcher["prefix"]))
    if "suffix" in matcher:
        return folded.endswith(fold(matcher["suffix"]))
    if "contains" in matcher:
        return fold(matcher["contains"]) in folded
    if isinstance(matcher.get("safe_regex"), Mapping):
        return full_match(str(matcher["safe_regex"].get("regex", "")), value)
    kinds = ",".join(k for k in matcher if k != "ignore_case") or "empty"
    return Unknown(f"string matcher {kinds} not evaluated")


def describe_string_matcher(matcher: Mapping | None) -> str:
    """``exact "GET"``, ``prefix "/api" (ignore case)``, ``regex "^/v[0-9]+"``."""
    if not isinstance(matcher, Mapping):
        return "?"
    suffix = " (ignore case)" if matcher.get("ignore_case") else ""
    for kind in ("exact", "prefix", "suffix", "contains"):
        if kind in matcher:
            return f"{kind} {_quote(matcher[kind])}{suffix}"
    if isinstance(matcher.get("safe_regex"), Mapping):
        return f"regex {_quote(matcher['safe_regex'].get('regex', ''))}"
    return ",".join(matcher) or "?"


def _quote(value) -> str:
    import json

    return json.dumps(str(value), ensure_ascii=False)


class Headers:
    """A request's headers as Envoy's header map holds them: lower-case names, values in order.

    HTTP/1's ``Host`` is Envoy's ``:authority`` (there is no "host" entry).
    """

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        """Append a value (the header may repeat)."""
        key = name.lower()
        if key == "host":
            key = ":authority"
        self._values.setdefault(key, []).append(value)

    def set(self, name: str, value: str) -> None:
        """Replace every value of the header with one."""
        self.remove(name)
        self.add(name, value)

    def remove(self, name: str) -> None:
        """Drop the header (all its values)."""
        key = name.lower()
        self._values.pop(":authority" if key == "host" else key, None)

    def values(self, name: str) -> list[str]:
        """Every value of the header, in the order received (empty when absent)."""
        return list(self._values.get(name.lower()) or ())

    def first(self, name: str) -> str | None:
        """The first value, or None when absent."""
        values = self._values.get(name.lower())
        return values[0] if values else None

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._values

    def items(self) -> list[tuple[str, str]]:
        """(name, value) pairs, one per value."""
        return [(name, value) for name, values in self._values.items() for value in values]

    def copy(self) -> Headers:
        """An independent copy (a proxy changing headers must not change the caller's)."""
        clone = Headers()
        clone._values = {name: list(values) for name, values in self._values.items()}
        return clone


def _simple_atoi(text: str) -> int | None:
    """absl::SimpleAtoi into int64: ASCII whitespace around, an optional sign, decimal digits."""
    stripped = text.strip(" \t\n\v\f\r")
    body = stripped[1:] if stripped[:1] in ("+", "-") else stripped
    if not body or not (body.isascii() and body.isdigit()):
        return None
    number = int(stripped)
    return number if -(2**63) <= number < 2**63 else None


def header_match(matcher: Mapping, headers: Headers, unknown_names: Mapping[str, str] | None = None) -> bool | Unknown:
    """envoy.config.route.v3.HeaderMatcher (routes and RBAC): HeaderData::matchesHeaders.

    A header sent several times matches when one of its values matches (measured against Envoy
    1.40: ``x-team: red`` + ``x-team: blue`` matches exact "blue", a single ``red,blue`` does
    not), and ``invert_match`` inverts that. `unknown_names` maps header names whose value only
    Envoy knows (x-request-id, ...) to why.
    """
    name = str(matcher.get("name", "")).lower()
    if unknown_names and name in unknown_names and name not in headers:
        return Unknown(f"header {name} ({unknown_names[name]}) not evaluated")
    invert = bool(matcher.get("invert_match"))
    values = headers.values(name)
    kind, expected = _header_kind(matcher)
    if kind == "unknown":
        return Unknown(f"header matcher {expected} not evaluated")
    if not values:
        if not matcher.get("treat_missing_header_as_empty"):
            # A missing header matches only a presence test that asks for absence (or its inverse).
            return kind == "present" and bool(expected) == invert
        values = [""]
    matched = any3(_header_value_match(kind, expected, value) for value in values)
    if isinstance(matched, Unknown):
        return matched
    return matched != invert


def _header_value_match(kind: str, expected, value: str) -> bool | Unknown:
    if kind == "exact":
        return expected == "" or value == expected
    if kind == "regex":
        return full_match(expected, value)
    if kind == "range":
        number = _simple_atoi(value)
        return number is not None and int(expected.get("start", 0)) <= number < int(expected.get("end", 0))
    if kind == "present":
        return bool(expected)
    if kind == "prefix":
        return value.startswith(expected)
    if kind == "suffix":
        return value.endswith(expected)
    if kind == "contains":
        return expected in value
    return string_match(expected, value)


def _header_kind(matcher: Mapping) -> tuple[str, object]:
    if "exact_match" in matcher:
        return "exact", str(matcher["exact_match"])
    if isinstance(matcher.get("safe_regex_match"), Mapping):
        return "regex", str(matcher["safe_regex_match"].get("regex", ""))
    if isinstance(matcher.get("range_match"), Mapping):
        return "range", matcher["range_match"]
    if "present_match" in matcher:
        return "present", bool(matcher["present_match"])
    for kind in ("prefix", "suffix", "contains"):
        if f"{kind}_match" in matcher:
            return kind, str(matcher[f"{kind}_match"])
    if isinstance(matcher.get("string_match"), Mapping):
        return "string", matcher["string_match"]
    others = [k for k in matcher if k not in ("name", "invert_match", "treat_missing_header_as_empty")]
    if others:
        return "unknown", ",".join(others)
    return "present", True  # only a name: HeaderData checks presence


def describe_header_matcher(matcher: Mapping) -> str:
    """``header x-user exact "alice"``, ``header :method !exact "GET"``, ``header x-debug present``."""
    kind, expected = _header_kind(matcher)
    name = str(matcher.get("name", ""))
    bang = "!" if matcher.get("invert_match") else ""
    if kind == "present":
        return f"header {name} {bang}{'present' if expected else 'absent'}"
    if kind == "string":
        return f"header {name} {bang}{describe_string_matcher(expected)}"
    if kind == "range":
        return f"header {name} {bang}range [{expected.get('start', 0)},{expected.get('end', 0)})"
    return f"header {name} {bang}{kind} {_quote(expected)}"


def path_without_query(path: str) -> str:
    """Http::PathUtil::removeQueryAndFragment."""
    for mark in ("?", "#"):
        path = path.partition(mark)[0]
    return path


def query_parameters(path: str) -> dict[str, str]:
    """The first value of each query parameter, as QueryParamsMulti::getFirstValue sees them:
    split on & and the first =, no percent-decoding; a name without = has the value ""."""
    query = path.partition("?")[2].partition("#")[0]
    found: dict[str, str] = {}
    for part in query.split("&") if query else ():
        if not part:
            continue
        name, _, value = part.partition("=")
        found.setdefault(name, value)
    return found


def query_parameter_match(matcher: Mapping, path: str) -> bool | Unknown:
    """envoy.config.route.v3.QueryParameterMatcher (config_utility.cc)."""
    query = path.partition("?")[2]
    if "%" in query or "+" in query:
        return Unknown("query parameters with percent-encoding not evaluated")
    value = query_parameters(path).get(str(matcher.get("name", "")))
    if value is None:
        return False
    if matcher.get("present_match"):
        return True
    if isinstance(matcher.get("string_match"), Mapping):
        return string_match(matcher["string_match"], value)
    return Unknown("query parameter matcher without string_match not evaluated")


def cidr_contains(cidr: Mapping, address: str | None) -> bool | Unknown:
    """envoy.config.core.v3.CidrRange contains `address` (Network::Address::CidrRange::isInRange)."""
    if address is None:
        return Unknown("address not known")
    prefix_len = cidr.get("prefix_len", 0)
    if isinstance(prefix_len, Mapping):
        prefix_len = prefix_len.get("value", 0)
    try:
        network = ipaddress.ip_network(f"{cidr.get('address_prefix', '')}/{int(prefix_len or 0)}", strict=False)
        ip = ipaddress.ip_address(address)
    except ValueError:
        return Unknown(f"CIDR {cidr.get('address_prefix')}/{prefix_len} or address {address} not evaluated")
    return ip.version == network.version and ip in network


def value_match(matcher: Mapping, value) -> bool | Unknown:
    """envoy.type.matcher.v3.ValueMatcher against a metadata value (None: the path is absent)."""
    if "null_match" in matcher:
        return False  # an absent path is not a null value; meshctl never sees explicit nulls
    if "present_match" in matcher:
        return (value is not None) == bool(matcher["present_match"])
    if isinstance(matcher.get("string_match"), Mapping):
        return string_match(matcher["string_match"], value) if isinstance(value, str) else False
    if "bool_match" in matcher:
        return isinstance(value, bool) and value == bool(matcher["bool_match"])
    if isinstance(matcher.get("list_match"), Mapping):
        one_of = matcher["list_match"].get("one_of")
        if not isinstance(value, list) or not isinstance(one_of, Mapping):
            return False
        return any3(value_match(one_of, item) for item in value)
    if isinstance(matcher.get("or_match"), Mapping):
        return any3(value_match(m, value) for m in matcher["or_match"].get("value_matchers") or [] if isinstance(m, Mapping))
    return Unknown(f"value matcher {','.join(matcher) or 'empty'} not evaluated")


def metadata_match(matcher: Mapping, metadata: Mapping[str, Mapping]) -> bool | Unknown:
    """envoy.type.matcher.v3.MetadataMatcher over dynamic metadata {filter: {key: value}}."""
    value = metadata.get(str(matcher.get("filter", "")))
    for segment in matcher.get("path") or []:
        key = segment.get("key") if isinstance(segment, Mapping) else None
        value = value.get(key) if isinstance(value, Mapping) and key is not None else None
    if isinstance(value, Unknown):
        return value
    result = value_match(matcher.get("value") or {}, value)
    if isinstance(result, Unknown):
        return result
    return result != bool(matcher.get("invert"))


# Envoy's uri_template (extensions/path/uri_template_lib): "*" is one path segment of RFC 3986
# pchars (unreserved, %, sub-delims, ":" and "@"; "=" and "*" included, measured against Envoy
# 1.40), "**" any number of them with "/" (the last operator only). Istio writes {*}/{**}.
_PCHARS = "a-zA-Z0-9\\-._~%!$&'()*+,;=:@"


def uri_template_regex(template: str) -> str | None:
    """The RE2 pattern Envoy full-matches a path (without its query) against, or None for the
    templates meshctl does not evaluate (variables, operators inside a segment)."""
    if not template.startswith("/"):
        return None
    segments = template[1:].split("/")
    pattern = []
    for index, segment in enumerate(segments):
        if segment == "*":
            pattern.append(f"[{_PCHARS}]+")
        elif segment == "**" and index == len(segments) - 1:
            pattern.append(f"[{_PCHARS}/]*")
        elif any(char in segment for char in "*{}"):
            return None
        else:
            pattern.append("".join(char if char.isalnum() else "\\" + char for char in segment))
    return "/" + "/".join(pattern)


def uri_template_match(template: str, path: str) -> bool | Unknown:
    """Does the path (query and fragment dropped) match an Envoy uri_template?"""
    pattern = uri_template_regex(template)
    if pattern is None:
        return Unknown(f"uri_template {template!r} not evaluated")
    return full_match(pattern, path_without_query(path))
