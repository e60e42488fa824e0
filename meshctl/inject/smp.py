"""Strategic merge patch of a Pod (k8s.io/apimachinery strategicpatch, the parts injection uses).

Istio applies each rendered template to the pod with
``StrategicMergeMapPatchUsingLookupPatchMeta(original, patch, PatchMetaFromStruct(Pod))`` and
``MergeOptions{MergeParallelList: true, IgnoreUnmatchedNulls: true}``. Lists with a merge key
(containers by ``name``, volumeMounts by ``mountPath``, ...) are merged item by item; the merged
list puts patch items first unless the original order says otherwise (``mergeSortedSlice``), which
is why Istio later moves ``istio-proxy`` back to the end (``reorderPod``).
"""

from __future__ import annotations

from meshctl.inject.kubetypes import SCHEMA

# patchMergeKey of list fields, by Go struct (k8s.io/api/core/v1 types.go struct tags).
MERGE_KEYS: dict[tuple[str, str], str] = {
    ("PodSpec", "volumes"): "name",
    ("PodSpec", "initContainers"): "name",
    ("PodSpec", "containers"): "name",
    ("PodSpec", "ephemeralContainers"): "name",
    ("PodSpec", "imagePullSecrets"): "name",
    ("PodSpec", "hostAliases"): "ip",
    ("PodSpec", "schedulingGates"): "name",
    ("PodSpec", "resourceClaims"): "name",
    ("PodSpec", "topologySpreadConstraints"): "topologyKey",
    ("Container", "ports"): "containerPort",
    ("Container", "env"): "name",
    ("Container", "volumeMounts"): "mountPath",
    ("Container", "volumeDevices"): "devicePath",
    ("ObjectMeta", "ownerReferences"): "uid",
}
# Scalar lists with the merge strategy (merged and de-duplicated rather than replaced).
MERGED_SCALAR_LISTS = {("ObjectMeta", "finalizers")}

DIRECTIVE = "$patch"


class PatchError(ValueError):
    """A strategic merge patch that cannot be applied."""
    pass


def _discard_nulls(v):
    """discardNullValuesFromPatch: a patch value taken whole drops its null map entries."""
    if isinstance(v, dict):
        return {k: _discard_nulls(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_discard_nulls(x) if isinstance(x, dict) else x for x in v]
    return v


def merge_map(original: dict | None, patch: dict, type_name: str | None) -> dict:
    """mergeMap: `patch` merged into a copy of `original` (a struct of `type_name`, or None if unknown)."""
    if DIRECTIVE in patch:
        directive = patch[DIRECTIVE]
        if directive == "replace":
            return {k: v for k, v in patch.items() if k != DIRECTIVE}
        if directive == "delete":
            return {}
        raise PatchError(f"unknown patch type: {directive!r} in map")
    result = dict(original or {})
    fields = SCHEMA.get(type_name, {}) if type_name else {}
    for k, pv in patch.items():
        if k.startswith("$"):
            continue  # $retainKeys / $setElementOrder: never produced by injection templates
        if pv is None:
            result.pop(k, None)
            continue
        if k not in result:
            result[k] = _discard_nulls(pv)
            continue
        ov = result[k]
        field = fields.get(k)
        sub_type = field.type if field is not None and field.type in SCHEMA else None
        if isinstance(ov, dict) and isinstance(pv, dict):
            result[k] = merge_map(ov, pv, sub_type)
        elif isinstance(ov, list) and isinstance(pv, list):
            result[k] = _merge_list(ov, pv, type_name, k, sub_type)
        else:
            result[k] = _discard_nulls(pv)
    return result


def _merge_list(original: list, patch: list, parent_type: str | None, field: str, item_type: str | None) -> list:
    key = MERGE_KEYS.get((parent_type, field)) if parent_type else None
    if key is None:
        if (parent_type, field) in MERGED_SCALAR_LISTS:
            merged = []
            for v in original + patch:
                if v not in merged:
                    merged.append(v)
            return merged
        return patch  # no patch strategy: the patch list replaces the original
    if not original and not patch:
        return original
    if any(isinstance(item, dict) and item.get(DIRECTIVE) == "replace" for item in patch):
        return [item for item in patch if not (isinstance(item, dict) and DIRECTIVE in item)]
    merged = list(original)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise PatchError(f"map: {item} does not contain declared merge key: {key}")
        found = next((i for i, o in enumerate(merged) if isinstance(o, dict) and o.get(key) == item[key]), None)
        if item.get(DIRECTIVE) == "delete":
            if found is not None:
                del merged[found]
            continue
        if found is None:
            merged.append(item)
        else:
            merged[found] = merge_map(merged[found], item, item_type)
    patch_keys = [item[key] for item in patch]
    # normalizeSliceOrder: patch items follow the patch's order, server-only items the original's.
    patch_items = sorted((m for m in merged if m.get(key) in patch_keys), key=lambda m: patch_keys.index(m.get(key)))
    server_only = [m for m in merged if m.get(key) not in patch_keys]
    return _merge_sorted(server_only, patch_items, [o.get(key) for o in original if isinstance(o, dict)], key)


def _merge_sorted(left: list, right: list, server_order: list, key: str) -> list:
    """mergeSortedSlice: interleave server-only items into the patch items by their original order."""
    def position(item):
        try:
            return server_order.index(item.get(key))
        except ValueError:
            return -1

    out, i, j = [], 0, 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li, ri = position(left[i]), position(right[j])
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


def patch_pod(pod: dict, patch: dict) -> dict:
    """A Pod (JSON dict) with a strategic merge patch applied."""
    return merge_map(pod, patch, "Pod")
