"""Label and field selectors as the API server evaluates them (apimachinery labels/selector.go, fields/)."""

from __future__ import annotations

import re
from collections.abc import Callable

Predicate = Callable[[dict], bool]

# One requirement: `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`.
_SET_RE = re.compile(r"^\s*(?P<key>[^\s!=(),]+)\s+(?P<op>in|notin)\s*\((?P<values>[^)]*)\)\s*$")
_CMP_RE = re.compile(r"^\s*(?P<key>[^\s!=(),]+)\s*(?P<op>==|!=|=)\s*(?P<value>[^\s!=(),]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(?P<neg>!?)\s*(?P<key>[^\s!=(),]+)\s*$")


class SelectorError(ValueError):
    """A selector that does not parse; the message is what the API server says."""


def _split_requirements(text: str) -> list[str]:
    # Commas separate requirements except inside `in (a,b)` value lists.
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def _label_requirement(text: str) -> Predicate:
    if m := _SET_RE.match(text):
        key, values = m["key"], {v.strip() for v in m["values"].split(",") if v.strip()}
        if m["op"] == "in":
            return lambda labels: labels.get(key) in values
        # labels/selector.go: NotIn matches objects without the key too.
        return lambda labels: labels.get(key) not in values
    if m := _CMP_RE.match(text):
        key, value = m["key"], m["value"]
        if m["op"] == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: key in labels and labels[key] == value
    if m := _EXISTS_RE.match(text):
        key = m["key"]
        if m["neg"]:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise SelectorError(f"unable to parse requirement: found '{text.strip()}', expected: identifier")


def label_selector(text: str) -> Predicate:
    """Parse a `labelSelector` query value into a predicate over an object."""
    requirements = [_label_requirement(part) for part in _split_requirements(text or "")]

    def matches(obj: dict) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(req(labels) for req in requirements)

    return matches


def match_label_selector(selector: dict | None, labels: dict) -> bool:
    """Evaluate a structured LabelSelector (matchLabels + matchExpressions) against labels.

    An empty selector matches everything, as for webhooks' namespaceSelector/objectSelector.
    """
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


# Field selectors the real server accepts per kind (a subset: the common ones).
_FIELDS: dict[str, dict[str, Callable[[dict], str]]] = {
    "Pod": {
        "spec.nodeName": lambda o: (o.get("spec") or {}).get("nodeName", ""),
        "spec.serviceAccountName": lambda o: (o.get("spec") or {}).get("serviceAccountName", ""),
        "status.phase": lambda o: (o.get("status") or {}).get("phase", ""),
        "status.podIP": lambda o: (o.get("status") or {}).get("podIP", ""),
    },
    "Namespace": {"status.phase": lambda o: (o.get("status") or {}).get("phase", "")},
}


def field_selector(text: str, kind: str) -> Predicate:
    """Parse a `fieldSelector` for objects of `kind`; metadata.name/namespace work for every kind."""
    getters = {
        "metadata.name": lambda o: o["metadata"].get("name", ""),
        "metadata.namespace": lambda o: o["metadata"].get("namespace", ""),
        **_FIELDS.get(kind, {}),
    }
    requirements = []
    for part in _split_requirements(text or ""):
        m = _CMP_RE.match(part)
        if not m:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part.strip()}'")
        getter = getters.get(m["key"])
        if getter is None:
            raise SelectorError(f'field label not supported: {m["key"]}')
        negate = m["op"] == "!="
        requirements.append((getter, m["value"], negate))

    def matches(obj: dict) -> bool:
        return all((getter(obj) == value) != negate for getter, value, negate in requirements)

    return matches
