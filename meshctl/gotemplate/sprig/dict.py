"""sprig's dict.go: dictionary functions (`dict`, `get`, `set`, `pick`, `merge`, `dig`, `deepCopy`, ...)."""

from __future__ import annotations

from meshctl.goenc.values import MISSING, GoValue, go_type_name, is_empty
from meshctl.gotemplate.params import FuncError, arg_map, arg_str, iface

from .strings import strval


def deep_copy(v):
    """copystructure.Copy on engine values: maps and lists are copied, scalars shared."""
    v = iface(v)
    if isinstance(v, dict) and not isinstance(v, GoValue):
        return {k: deep_copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [deep_copy(x) for x in v]
    return v


def dict_(*kv):
    out = {}
    for i in range(0, len(kv), 2):
        out[strval(kv[i])] = iface(kv[i + 1]) if i + 1 < len(kv) else ""
    return out


def get(d, key):
    return arg_map(d).get(arg_str(key), "")


def set_(d, key, value):
    arg_map(d)[arg_str(key)] = iface(value)
    return d


def unset(d, key):
    arg_map(d).pop(arg_str(key), None)
    return d


def has_key(d, key):
    return arg_str(key) in arg_map(d)


def pluck(key, *dicts):
    key = arg_str(key)
    return [d[key] for d in map(arg_map, dicts) if key in d]


def keys(*dicts):
    # Go returns map order, which is random; we keep insertion order.
    return [k for d in map(arg_map, dicts) for k in d]


def pick(d, *names):
    d = arg_map(d)
    return {k: d[k] for k in map(arg_str, names) if k in d}


def omit(d, *names):
    d, drop = arg_map(d), set(map(arg_str, names))
    return {k: v for k, v in d.items() if k not in drop}


def values_(d):
    return list(arg_map(d).values())


def _mergo(dst: dict, src: dict, overwrite: bool) -> None:
    # dario.cat/mergo deepMerge for map[string]interface{} (Merge / MergeWithOverwrite).
    for key, s in src.items():
        if s is None:
            if overwrite:
                dst[key] = None
            continue
        d = dst.get(key, MISSING)
        if isinstance(s, dict) and isinstance(d, dict):
            if is_empty(d):
                dst[key] = s
            else:
                _mergo(d, s, overwrite)
            continue
        if overwrite or d is MISSING or is_empty(d):
            dst[key] = s


def merge(dst, *srcs):
    dst = arg_map(dst)
    for src in srcs:
        _mergo(dst, arg_map(src), overwrite=False)
    return dst


def merge_overwrite(dst, *srcs):
    dst = arg_map(dst)
    for src in srcs:
        _mergo(dst, arg_map(src), overwrite=True)
    return dst


def dig(*ps):
    if len(ps) < 3:
        raise FuncError("dig needs at least three arguments")
    d, default = ps[-1], iface(ps[-2])
    path = []
    for p in ps[:-2]:
        if not isinstance(p, str):
            raise FuncError(f"interface conversion: interface {{}} is {go_type_name(p)}, not string")
        path.append(p)
    for i, k in enumerate(path):
        if not isinstance(d, dict):
            raise FuncError(f"interface conversion: interface {{}} is {go_type_name(d)}, not map[string]interface {{}}")
        if k not in d:
            return default
        d = d[k]
        if i == len(path) - 1:
            return d
    return d
