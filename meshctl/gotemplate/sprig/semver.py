"""sprig's semver.go: Masterminds/semver v3 versions and constraints."""

from __future__ import annotations

import re

from meshctl.gotemplate.params import FuncError, arg_str, type_error
from meshctl.gotemplate.typed import OpaqueStruct

_SEMVER_RE = re.compile(
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)


class Version(OpaqueStruct):
    """*semver.Version: printed as its String(); Major/Minor/Patch/... are methods as in Go."""

    go_type = "*semver.Version"
    __slots__ = ("major", "minor", "patch", "pre", "metadata", "original")

    def __init__(self, text: str):
        m = _SEMVER_RE.fullmatch(text)
        if not m:
            raise FuncError("Invalid Semantic Version")
        self.major, self.minor, self.patch = (int(g[1:] if g and g[0] == "." else g or 0) for g in m.group(1, 2, 3))
        self.pre, self.metadata, self.original = m.group(5) or "", m.group(8) or "", text
        for part in self.pre.split(".") if self.pre else ():
            if part.isdigit() and len(part) > 1 and part[0] == "0":
                raise FuncError("Version segment starts with 0")

    def String(self) -> str:  # noqa: N802 - Go method names are what templates call
        text = f"{self.major}.{self.minor}.{self.patch}"
        return text + (f"-{self.pre}" if self.pre else "") + (f"+{self.metadata}" if self.metadata else "")

    _METHODS = frozenset({"String", "Compare", "Equal", "LessThan", "GreaterThan"})
    # Go getter methods -> the attribute they return
    _GETTERS = {"Major": "major", "Minor": "minor", "Patch": "patch", "Prerelease": "pre", "Metadata": "metadata",
                "Original": "original"}

    def go_method(self, name: str):
        attr = self._GETTERS.get(name)
        if attr is not None:
            return lambda: getattr(self, attr)
        return super().go_method(name)

    def to_plain(self) -> str:
        return self.String()  # also semver.Version.MarshalJSON

    def Compare(self, other) -> int:  # noqa: N802
        return self.compare(_version_arg(other))

    def Equal(self, other) -> bool:  # noqa: N802
        return self.compare(_version_arg(other)) == 0

    def LessThan(self, other) -> bool:  # noqa: N802
        return self.compare(_version_arg(other)) < 0

    def GreaterThan(self, other) -> bool:  # noqa: N802
        return self.compare(_version_arg(other)) > 0

    def compare(self, other: Version) -> int:
        a, b = (self.major, self.minor, self.patch), (other.major, other.minor, other.patch)
        if a != b:
            return -1 if a < b else 1
        return _compare_prerelease(self.pre, other.pre)

    def __eq__(self, other) -> bool:
        return isinstance(other, Version) and self.compare(other) == 0 and self.metadata == other.metadata

    __hash__ = None


def _version_arg(value) -> Version:
    if isinstance(value, Version):
        return value
    raise type_error(value, "*semver.Version")


def _compare_prerelease(a: str, b: str) -> int:
    if a == b:
        return 0
    if not a:
        return 1
    if not b:
        return -1
    pa, pb = a.split("."), b.split(".")
    for x, y in zip(pa, pb):
        if x == y:
            continue
        xd, yd = x.isdigit(), y.isdigit()
        if xd and yd:
            return -1 if int(x) < int(y) else 1
        if xd != yd:
            return -1 if xd else 1
        return -1 if x < y else 1
    return (len(pa) > len(pb)) - (len(pa) < len(pb))


_CONSTRAINT_OPS = r"!=|>=|=>|<=|=<|~>|>|<|=|~|\^"


_CONSTRAINT_VERSION = r"v?[0-9xX*]+(?:\.[0-9xX*]+)?(?:\.[0-9xX*]+)?(?:-[0-9A-Za-z\-.]+)?(?:\+[0-9A-Za-z\-.]+)?"


_CONSTRAINT_RE = re.compile(rf"\s*({_CONSTRAINT_OPS})?\s*({_CONSTRAINT_VERSION})\s*,?")


_HYPHEN_RE = re.compile(rf"\s*({_CONSTRAINT_VERSION})\s+-\s+({_CONSTRAINT_VERSION})\s*")


def _constraint_check(op: str, text: str, v: Version) -> bool:
    parts = re.match(r"v?([^.+\-]+)(?:\.([^.+\-]+))?(?:\.([^.+\-]+))?(.*)", text)
    wild = [p is None or p in ("x", "X", "*") for p in parts.group(1, 2, 3)]
    nums = [0 if w else int(p) for w, p in zip(wild, parts.group(1, 2, 3))]
    dirty = any(wild)
    c = Version(".".join(map(str, nums)) + parts.group(4))
    # semver v3: a prerelease version only satisfies constraints that carry a prerelease themselves.
    if v.pre and not c.pre and not (op in ("=", "!=") and not dirty):
        return False
    cmp = v.compare(c)
    first_wild = wild.index(True) if dirty else 3
    if first_wild == 0:
        upper = None
    else:
        upper = Version(".".join(map(str, nums[: first_wild - 1] + [nums[first_wild - 1] + 1] + [0] * (3 - first_wild))))
    in_range = cmp >= 0 and (upper is None or v.compare(upper) < 0)
    if op == "=":
        return in_range if dirty else cmp == 0
    if op == "!=":
        return not in_range if dirty else cmp != 0
    if op == ">":
        return (upper is not None and v.compare(upper) >= 0) if dirty else cmp > 0
    if op == ">=":
        return cmp >= 0
    if op == "<":
        return cmp < 0
    if op == "<=":
        return (upper is None or v.compare(upper) < 0) if dirty else cmp <= 0
    if first_wild == 0:  # "~*", "^x": any release
        return True
    if op == "~":
        keep = 1 if first_wild == 1 else 2  # ~1 -> <2.0.0, ~1.2 / ~1.2.3 -> <1.3.0
        nxt = nums[: keep - 1] + [nums[keep - 1] + 1] + [0] * (3 - keep)
        return cmp >= 0 and v.compare(Version(".".join(map(str, nxt)))) < 0
    # "^": the left-most non-zero part is kept; ^0.0 and ^0 bound the first wildcard instead.
    if nums[0] > 0 or first_wild == 1:
        keep = 1
    elif nums[1] > 0 or first_wild == 2:
        keep = 2
    else:
        keep = 3
    nxt = nums[: keep - 1] + [nums[keep - 1] + 1] + [0] * (3 - keep)
    return cmp >= 0 and v.compare(Version(".".join(map(str, nxt)))) < 0


def _parse_constraint(text: str) -> list[list[tuple[str, str]]]:
    groups = []
    for group in text.split("||"):
        group = _HYPHEN_RE.sub(lambda m: f">= {m.group(1)}, <= {m.group(2)} ", group)
        pos, items = 0, []
        while pos < len(group):
            m = _CONSTRAINT_RE.match(group, pos)
            if not m or m.end() == pos:
                if group[pos:].strip() == "":
                    break
                raise FuncError(f"improper constraint: {text}")
            op = {"=>": ">=", "=<": "<=", "~>": "~", "": "="}.get(m.group(1) or "", m.group(1))
            items.append((op, m.group(2)))
            pos = m.end()
        if not items:
            raise FuncError(f"improper constraint: {text}")
        groups.append(items)
    return groups


def semver(version):
    return Version(arg_str(version))


def semver_compare(constraint, version):
    groups = _parse_constraint(arg_str(constraint))
    v = Version(arg_str(version))
    return any(all(_constraint_check(op, c, v) for op, c in group) for group in groups)
