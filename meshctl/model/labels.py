"""Kubernetes label selectors: evaluate, explain and print them (pure, stdlib only).

Semantics follow apimachinery (pkg/apis/meta/v1/helpers.go LabelSelectorAsSelector and
pkg/labels/selector.go): a nil selector matches everything when it stands for "no restriction"
(webhook namespaceSelector/objectSelector), an empty one matches everything, NotIn and
DoesNotExist are satisfied by a missing key.
"""

from __future__ import annotations

from dataclasses import dataclass

from meshctl.errors import UsageError

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


@dataclass(frozen=True)
class Requirement:
    """One requirement of a label selector: key, operator (In, NotIn, Exists, DoesNotExist) and values."""
    key: str
    operator: str  # In | NotIn | Exists | DoesNotExist
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        """True when `labels` satisfy the requirement."""
        present = self.key in labels
        if self.operator == "In":
            return present and labels[self.key] in self.values
        if self.operator == "NotIn":
            return not present or labels[self.key] not in self.values
        if self.operator == "Exists":
            return present
        return not present

    def __str__(self) -> str:
        # apimachinery Requirement.String(): "k=v", "k in (a,b)", "k", "!k"
        if self.operator == "Exists":
            return self.key
        if self.operator == "DoesNotExist":
            return f"!{self.key}"
        if self.operator == "In" and len(self.values) == 1:
            return f"{self.key}={self.values[0]}"
        if self.operator == "NotIn" and len(self.values) == 1:
            return f"{self.key}!={self.values[0]}"
        word = "in" if self.operator == "In" else "notin"
        return f"{self.key} {word} ({','.join(self.values)})"


@dataclass(frozen=True)
class LabelSelector:
    """A metav1.LabelSelector: matchLabels and matchExpressions, ANDed."""

    requirements: tuple[Requirement, ...] = ()

    @classmethod
    def from_dict(cls, selector: dict | None) -> LabelSelector:
        """Build from the API object (``{"matchLabels": {...}, "matchExpressions": [...]}``).

        A malformed expression (unknown operator, In without values) selects nothing, as the API
        server would reject it; it is kept as an In requirement with no values.
        """
        selector = selector or {}
        requirements = [Requirement(k, "In", (str(v),)) for k, v in sorted((selector.get("matchLabels") or {}).items())]
        for expression in selector.get("matchExpressions") or []:
            operator = expression.get("operator", "")
            values = tuple(str(v) for v in expression.get("values") or ())
            if operator not in _OPERATORS or (operator in ("In", "NotIn") and not values):
                operator, values = "In", ()
            requirements.append(Requirement(str(expression.get("key", "")), operator, values))
        return cls(tuple(requirements))

    @classmethod
    def from_map(cls, labels: dict[str, str]) -> LabelSelector:
        """A Service's or ReplicationController's plain ``selector`` map."""
        return cls(tuple(Requirement(k, "In", (str(v),)) for k, v in sorted(labels.items())))

    def matches(self, labels: dict[str, str] | None) -> bool:
        """True when `labels` satisfy every requirement."""
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def failing(self, labels: dict[str, str] | None) -> list[Requirement]:
        """The requirements `labels` do not satisfy (empty when the selector matches)."""
        labels = labels or {}
        return [r for r in self.requirements if not r.matches(labels)]

    def is_empty(self) -> bool:
        """True for a selector with no requirement (it selects everything)."""
        return not self.requirements

    def __str__(self) -> str:
        """The selector in kubectl's ``-l`` syntax, also what the API's labelSelector query takes."""
        return ",".join(str(r) for r in self.requirements)


def parse_selector(text: str) -> LabelSelector:
    """A kubectl ``-l`` selector (``=``, ``==``, ``!=``, ``in``, ``notin``, ``k``, ``!k``) as a LabelSelector.

    The inverse of ``str(selector)``; what the API server's labelSelector query evaluates.
    """
    requirements = []
    for item in _split_requirements(text):
        if item.startswith("!"):
            requirements.append(Requirement(item[1:].strip(), "DoesNotExist"))
        elif "!=" in item:
            key, value = item.split("!=", 1)
            requirements.append(Requirement(key.strip(), "NotIn", (value.strip(),)))
        elif "=" in item:
            key, value = item.replace("==", "=").split("=", 1)
            requirements.append(Requirement(key.strip(), "In", (value.strip(),)))
        elif " in " in item or " notin " in item:
            key, operator, values = item.partition(" notin ") if " notin " in item else item.partition(" in ")
            values = tuple(v.strip() for v in values.strip().strip("()").split(",") if v.strip())
            requirements.append(Requirement(key.strip(), "NotIn" if operator == " notin " else "In", values))
        else:
            requirements.append(Requirement(item, "Exists"))
    return LabelSelector(tuple(requirements))


def _split_requirements(text: str) -> list[str]:
    """The comma-separated requirements of a selector (commas inside ``(a,b)`` belong to a set)."""
    items, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    return [item for item in (*items, current.strip()) if item]


def parse_label_pairs(text: str) -> dict[str, str]:
    """Parse ``k=v,k2=v2`` (the labels a user says a pod or namespace has).

    Raises:
        UsageError: an item without '=' or with an empty key.
    """
    labels: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"invalid label {item!r}: expected KEY=VALUE")
        labels[key.strip()] = value.strip()
    return labels
