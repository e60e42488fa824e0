"""sprig's defaults.go: `default`, `empty`, `coalesce`, `ternary` and the JSON functions."""

from __future__ import annotations

from meshctl.goenc import gojson
from meshctl.goenc.values import is_empty
from meshctl.gotemplate.params import FuncError, arg_bool, arg_str, iface


def dfault(d, *given):
    if not given or is_empty(given[0]):
        return iface(d)
    return given[0]


def coalesce(*values):
    return next((v for v in values if not is_empty(v)), None)


def ternary(vt, vf, v):
    return iface(vt) if arg_bool(v) else iface(vf)


_RAISE = object()


def go_json_or(fallback, encode, *args):
    """Run a gojson function; Go's error gives `fallback`, or is raised as a FuncError for _RAISE."""
    try:
        return encode(*args)
    except gojson.JSONError as err:
        if fallback is _RAISE:
            raise FuncError(str(err)) from None
        return fallback


def _json_func(fallback, encode):
    return lambda v: go_json_or(fallback, encode, iface(v))


def _raw_json(v) -> str:
    # json.Encoder with SetEscapeHTML(false); sprig trims the Encoder's newline.
    return gojson.marshal(v, escape_html=False)


to_json = _json_func("", gojson.marshal)
must_to_json = _json_func(_RAISE, gojson.marshal)
to_pretty_json = _json_func("", gojson.marshal_indent)
must_to_pretty_json = _json_func(_RAISE, gojson.marshal_indent)
# sprig's toRawJson panics on error, like mustToRawJson returns it
to_raw_json = must_to_raw_json = _json_func(_RAISE, _raw_json)


def from_json(v):
    return go_json_or(None, gojson.unmarshal, arg_str(v))


def must_from_json(v):
    return go_json_or(_RAISE, gojson.unmarshal, arg_str(v))
