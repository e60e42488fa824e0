"""A Go ``text/template`` engine (with Go's ``fmt`` formatting) for Istio's templates.

The engine only: lexer, parser, executor, text/template's builtins, typed Go values and the
template API. Go's value model and encoders come from :mod:`meshctl.goenc`; the function maps from
:mod:`meshctl.gotemplate.sprig` and (Istio's) :mod:`meshctl.inject.template_funcs`.

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

__all__ = ["LimitExceeded", "Limits", "Template", "TemplateError", "render"]

# Lazy: the engine (lexer, parser, compiler) is most of this package's import time, and importing
# meshctl.gotemplate.typed or .sprig alone should not pay for it.
_LAZY = {
    "Template": ".template", "render": ".template", "TemplateError": ".errors", "LimitExceeded": ".errors",
    "Limits": ".limits",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
