"""sprig v3.3.0's template functions (Masterminds/sprig ``sprig.TxtFuncMap()``) with their Go semantics.

One module per upstream file (strings, list, dict, numeric, defaults, reflect, regex, semver, url, date,
crypto, network; functions.py holds the function map, as functions.go does). Each function takes engine
values (meshctl.goenc.values) and returns one. Where sprig's Go function returns an error, or panics
(text/template turns a panic into an exec error), the Python function raises `FuncError` carrying Go's
message. Typed Go parameters (`int`, `string`, `map[string]interface{}`) reject other values as
text/template does ("wrong type for value; expected int; got float64"; meshctl.gotemplate.params).

Regular expressions run on RE2 itself (google-re2), the engine Go's regexp ports: same syntax and
matches, linear time. Known limits, documented where they apply: time.Time has
microsecond precision; bcrypt and htpasswd raise "not implemented"; the random, crypto and network
functions are random by nature (crypto uses `cryptography`, imported only when such a function runs).
The non-hermetic functions (env, expandenv, getHostByName) see what a `HostAccess` allows.
"""

from __future__ import annotations

from .functions import txt_func_map

__all__ = ["txt_func_map"]
