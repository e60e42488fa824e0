"""A Go ``text/template`` engine (with Go's ``fmt`` formatting) for Istio's templates.

Self-contained: imports nothing from meshctl outside this package.

    >>> render("{{.a}} {{printf \\"%d\\" 80}}", {"a": 1e6})
    '1e+06 80'
    >>> t = Template.parse('{{define "x"}}[{{.}}]{{end}}{{template "x" .n}}')
    >>> t.execute({"n": 17.0})
    '[17]'

Data follows Go's JSON model (str, bool, float, int, None, dict, list); typed Go structs
come from :mod:`meshctl.gotemplate.typed`. Functions are plain callables ``f(*args)``;
raising an exception is Go's ``(value, error)`` error and gives
``error calling NAME: MESSAGE``.
"""

from __future__ import annotations

__all__ = ["Template", "TemplateError", "render", "injection_funcs"]

# Lazy: the JSON/YAML encoders (gojson, goyaml) are used without templates (meshctl.render.data),
# and the engine (lexer, parser, compiler) is most of this package's import time.
_LAZY = {"Template": ".template", "render": ".template", "injection_funcs": ".template", "TemplateError": ".exec"}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
