"""Semantic diff of two Envoy config dumps: resources added, removed and changed, per type.

Pure: two ConfigDumps in, a DumpDiff out. Noise is left out so that two dumps of the same config
taken at different times compare equal: `version_info`, `last_updated` and the like live beside the
resource in the dump and are never compared, and lists whose order Envoy ignores are compared as
sets (see UNORDERED_LISTS). Shared by `pc diff`, `snapshot diff` and `check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from meshctl.decode import resources
from meshctl.decode.configdump import ConfigDump

RESOURCE_TYPES = ("bootstrap", "cluster", "endpoint", "listener", "route", "secret", "ecds")

# Lists whose element order Envoy does not act on, keyed by field name. Envoy picks a filter chain by
# its filter_chain_match, a virtual host by domain, an endpoint by load balancing; domains and SAN
# matchers are sets. Ordered lists (routes within a virtual host, filters, transport_socket_matches:
# first match wins) keep their order. Elements are paired by `name` when they have one.
UNORDERED_LISTS = frozenset(
    {
        "filter_chains",
        "virtual_hosts",
        "domains",
        "endpoints",
        "lb_endpoints",
        "match_subject_alt_names",
        "match_typed_subject_alt_names",
        "subject_alt_names",
        "clusters",
        "listeners",
    }
)


@dataclass(frozen=True)
class FieldChange:
    """One leaf that differs; `path` is JSON-path-like (`filter_chains[name=x].filters[0].name`)."""

    path: str
    before: object
    after: object


@dataclass(frozen=True)
class ResourceChange:
    """One resource added, removed or changed between two dumps, with the leaves that differ."""
    type: str
    name: str
    change: str  # "added" | "removed" | "changed"
    fields: tuple[FieldChange, ...] = ()
    before: dict | None = None
    after: dict | None = None


@dataclass
class DumpDiff:
    """What differs between two dumps, for the resource types compared."""
    changes: list[ResourceChange] = field(default_factory=list)
    compared_types: tuple[str, ...] = RESOURCE_TYPES

    @property
    def equal(self) -> bool:
        """No resource differs."""
        return not self.changes

    def counts(self) -> dict[str, dict[str, int]]:
        """{type: {"added": n, "removed": n, "changed": n}} for every compared type."""
        table = {kind: {"added": 0, "removed": 0, "changed": 0} for kind in self.compared_types}
        for change in self.changes:
            table[change.type][change.change] += 1
        return table

    def to_data(self) -> dict:
        """The JSON form (`pc diff -o json`: docs/json.md meshctl.diff/v1, less its schemaVersion)."""
        return {
            "equal": self.equal,
            "summary": self.counts(),
            "changes": [
                {
                    "type": change.type,
                    "name": change.name,
                    "change": change.change,
                    "fields": [{"path": f.path, "before": f.before, "after": f.after} for f in change.fields],
                }
                for change in self.changes
            ],
        }


def resources_by_type(dump: ConfigDump) -> dict[str, dict[str, dict]]:
    """{type: {name: comparable resource}}: what a diff compares, noise left out.

    The state (static/active/warming) is part of what is compared: a cluster that went from warming
    to active has changed.
    """

    def keyed(views) -> dict[str, dict]:
        return {view.name: {"state": view.state, **view.raw} for view in views}

    bootstrap_section = dump.section("BootstrapConfigDump") or {}
    bootstrap = bootstrap_section.get("bootstrap")
    return {
        "bootstrap": {"bootstrap": bootstrap} if isinstance(bootstrap, dict) else {},
        "cluster": keyed(resources.clusters(dump)),
        "endpoint": {str(a.get("cluster_name", "")): a for a in resources.load_assignments(dump)},
        "listener": keyed(resources.listeners(dump)),
        "route": keyed(resources.routes(dump)),
        "secret": _secrets(dump),
        "ecds": {view.name: view.raw.get("ecds_filter", {}) for view in resources.ecds_filters(dump)},
    }


def _secrets(dump: ConfigDump) -> dict[str, dict]:
    section = dump.section("SecretsConfigDump") or {}
    found = {}
    for key, state in (("static_secrets", "static"), ("dynamic_active_secrets", "active"), ("dynamic_warming_secrets", "warming")):
        for entry in section.get(key) or ():
            if isinstance(entry, dict) and isinstance(entry.get("secret"), dict):
                found[str(entry.get("name") or entry["secret"].get("name", ""))] = {"state": state, **entry["secret"]}
    return found


def diff_dumps(before: ConfigDump, after: ConfigDump, types: tuple[str, ...] = RESOURCE_TYPES) -> DumpDiff:
    """Compare two dumps, resource by resource, for the resource `types` asked for."""
    old, new = resources_by_type(before), resources_by_type(after)
    result = DumpDiff(compared_types=types)
    for kind in types:
        old_items, new_items = old[kind], new[kind]
        for name in sorted(old_items.keys() | new_items.keys()):
            if name not in new_items:
                result.changes.append(ResourceChange(kind, name, "removed", before=old_items[name]))
            elif name not in old_items:
                result.changes.append(ResourceChange(kind, name, "added", after=new_items[name]))
            else:
                fields = tuple(diff_values(old_items[name], new_items[name]))
                if fields:
                    result.changes.append(ResourceChange(kind, name, "changed", fields, old_items[name], new_items[name]))
    return result


_MISSING = object()


def diff_values(before, after, path: str = "", key: str = ""):
    """Yield a FieldChange for every leaf where `before` and `after` differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        for name in sorted(before.keys() | after.keys(), key=str):
            yield from diff_values(before.get(name, _MISSING), after.get(name, _MISSING), _join(path, name), name)
    elif isinstance(before, list) and isinstance(after, list):
        if key in UNORDERED_LISTS:
            yield from _diff_unordered(before, after, path)
        else:
            for index in range(max(len(before), len(after))):
                yield from diff_values(
                    before[index] if index < len(before) else _MISSING,
                    after[index] if index < len(after) else _MISSING,
                    f"{path}[{index}]",
                )
    elif before != after or type(before) is not type(after):
        yield FieldChange(path, None if before is _MISSING else before, None if after is _MISSING else after)


def _diff_unordered(before: list, after: list, path: str):
    old, new = _keyed_elements(before), _keyed_elements(after)
    for element_key in sorted(old.keys() | new.keys()):
        yield from diff_values(old.get(element_key, _MISSING), new.get(element_key, _MISSING), f"{path}[{element_key}]")


def _keyed_elements(items: list) -> dict[str, object]:
    """Pair list elements by `name` where they have one, else by their canonical JSON text."""
    import orjson

    keyed = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            element_key = f"name={item['name']}"
        else:
            element_key = orjson.dumps(item, option=orjson.OPT_SORT_KEYS).decode()
        while element_key in keyed:  # duplicates stay distinct
            element_key += "'"
        keyed[element_key] = item
    return keyed


def _join(path: str, name) -> str:
    return f"{path}.{name}" if path else str(name)


def canonical(value, key: str = ""):
    """`value` with unordered lists sorted (their elements paired as a diff pairs them), for a text diff."""
    if isinstance(value, dict):
        return {name: canonical(item, name) for name, item in value.items()}
    if isinstance(value, list):
        items = [canonical(item) for item in value]
        if key in UNORDERED_LISTS:
            keyed = _keyed_elements(items)
            return [keyed[element_key] for element_key in sorted(keyed)]
        return items
    return value
