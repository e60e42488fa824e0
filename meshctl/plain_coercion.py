"""Typer start-up cost: plain str/int/float/bool option coercion instead of pydantic's.

Typer >= 0.26 converts every option value through a pydantic TypeAdapter, and importing pydantic
(installed here for the kubernetes client) costs 0.2-0.5 s: more than the whole of
`meshctl pc cluster -f small.json`. cli.py applies `without_pydantic` to every command it loads.
"""

from __future__ import annotations

import functools


def without_pydantic(command):
    """Give plain options a plain conversion; returns `command` (a click command or group).

    Options typed str, int, float or bool (optionally Optional) are converted directly (with
    their min/max checked); anything else keeps Typer's coercion. A Typer without this machinery
    leaves the command unchanged.
    """
    runtime_param = _plain_runtime_param_class()
    if runtime_param is not None:
        _apply(command, runtime_param)
    return command


_TRUE, _FALSE = {"true", "1", "yes", "y", "on"}, {"false", "0", "no", "n", "off"}


@functools.lru_cache(maxsize=1)  # cli.py calls this per command loaded
def _plain_runtime_param_class():
    try:
        import typer
        from typer._coercion import RuntimeParam
    except ImportError:
        return None

    class PlainRuntimeParam(RuntimeParam):
        # Not a dataclass like its base: making one costs ~3 ms on every run (dataclasses compiles
        # its methods); the base's frozen fields are set by its own __init__.
        def __init__(self, parameter_info, annotation, target: type) -> None:
            super().__init__(parameter_info, annotation)
            object.__setattr__(self, "target", target)

        def _coerce_value(self, value, param, ctx):
            if self.target is bool:
                text = str(value).lower()
                if isinstance(value, bool) or text in _TRUE | _FALSE:
                    return value if isinstance(value, bool) else text in _TRUE
                raise typer.BadParameter(f"{value!r} is not a valid boolean.", ctx=ctx, param=param)
            try:
                converted = self.target(value)
            except (TypeError, ValueError):
                kind = {int: "integer", float: "float"}.get(self.target, self.target.__name__)
                raise typer.BadParameter(f"{value!r} is not a valid {kind}.", ctx=ctx, param=param) from None
            low, high = self.parameter_info.min, self.parameter_info.max
            if (low is not None and converted < low) or (high is not None and converted > high):
                bounds = f"{'' if low is None else f'{low}<='}x{'' if high is None else f'<={high}'}"
                raise typer.BadParameter(f"{converted} is not in the range {bounds}.", ctx=ctx, param=param)
            return converted

    return PlainRuntimeParam


def _plain_type(annotation):
    import types
    import typing

    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        annotation = args[0] if len(args) == 1 else None
    return annotation if annotation in (str, int, float, bool) else None


def _apply(command, runtime_param) -> None:
    for sub_command in getattr(command, "commands", {}).values():
        _apply(sub_command, runtime_param)
    for param in command.params:
        _apply_param(param, runtime_param)
    # The --help option is made on first use (get_help_option), outside `params`.
    make_help_option = command.get_help_option

    def get_help_option(ctx):
        option = make_help_option(ctx)
        if option is not None:
            _apply_param(option, runtime_param)
        return option

    command.get_help_option = get_help_option


def _apply_param(param, runtime_param) -> None:
    descriptor = getattr(param, "type_descriptor", None)
    target = _plain_type(descriptor.annotation) if descriptor is not None else None
    if target is None or getattr(descriptor.parameter_info, "clamp", False):
        return
    if getattr(param, "_runtime_param", "absent") is None:
        param._runtime_param = runtime_param(descriptor.parameter_info, descriptor.annotation, target)
