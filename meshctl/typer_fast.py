"""Everything meshctl takes from Typer beyond its public API, in one module, each with a fallback.

Typer stays the CLI library (issue 12); these are start-up costs and features it keeps private:

- `install()`, applied once by `cli.main`: plain str/int/float/bool option values (and lists of them,
  such as inject's repeatable `--set`) are converted
  directly instead of through a pydantic TypeAdapter. Typer >= 0.26 converts every option value
  with pydantic, and importing pydantic (installed for the kubernetes client) costs 0.2-0.5 s:
  more than the whole of `meshctl pc cluster -f small.json`. It replaces Typer's runtime-param
  builder (``typer.core.build_runtime_param``), so every parameter built afterwards, of lazily
  loaded commands too, gets the plain conversion.
- `click_errors()`: Click's ClickException and UsageError (Typer vendors Click privately), found
  through the public ``typer.BadParameter``.
- `start_completion()` and `completion_script()`: the shell-completion machinery.
- `install_help()`, applied by `install()`: every command's help goes through
  `meshctl.commands.help` (human metavars, an Examples section), Typer-built commands of other
  modules included, by wrapping the help formatting of Click's Command class (Typer's private base).

When Typer's private parts are absent or changed, each degrades: the pydantic conversion is kept
(slower start-up, same behaviour), completion is unavailable; meshctl still works
(tests/test_typer_fallback.py runs it so).

Importing this module imports nothing of Typer; help and usage errors are plain text (no Rich),
quick to print and stable for docs/reference.md: Typer reads TYPER_USE_RICH when first imported.
"""

from __future__ import annotations

import os

os.environ.setdefault("TYPER_USE_RICH", "0")

_TRUE, _FALSE = {"true", "1", "yes", "y", "on"}, {"false", "0", "no", "n", "off"}
_installed = False


def install() -> bool:
    """Give plain options a plain conversion from now on; False when this Typer has no such hook."""
    global _installed
    if _installed:
        return True
    try:
        import typer
        from typer import core
        from typer._coercion import RuntimeParam

        original = core.build_runtime_param
    except (ImportError, AttributeError):
        return False
    plain_param = _plain_runtime_param_class(typer, RuntimeParam)

    def build_runtime_param(descriptor):
        target, many = _plain_type(getattr(descriptor, "annotation", None))
        info = getattr(descriptor, "parameter_info", None)
        if target is None or info is None or getattr(info, "clamp", False) or getattr(descriptor, "file_annotation", None) is not None:
            return original(descriptor)
        try:
            return plain_param(info, descriptor.annotation, target, many)
        except Exception:  # a Typer whose RuntimeParam changed shape: its own conversion still works
            return original(descriptor)

    core.build_runtime_param = build_runtime_param
    install_help()
    _installed = True
    return True


def install_help() -> bool:
    """Make every command's --help human (meshctl.commands.help); False when Typer's classes changed shape."""
    try:
        from typer.core import TyperCommand

        base = next(cls for cls in TyperCommand.__mro__[1:] if cls.__name__ == "Command" and "format_help" in vars(cls))
    except (ImportError, StopIteration):
        return False
    original = base.format_help
    if getattr(original, "meshctl_help", False):
        return True

    def format_help(self, ctx, formatter):
        from meshctl.commands.help import humanize, write_examples

        humanize(self)
        original(self, ctx, formatter)
        write_examples(ctx, formatter)

    format_help.meshctl_help = True
    base.format_help = format_help
    return True


def _plain_runtime_param_class(typer, runtime_param):
    class PlainRuntimeParam(runtime_param):
        # Not a dataclass like its base: making one costs ~3 ms on every run (dataclasses compiles
        # its methods); the base's frozen fields are set by its own __init__.
        def __init__(self, parameter_info, annotation, target: type, many: bool = False) -> None:
            super().__init__(parameter_info, annotation)
            object.__setattr__(self, "target", target)
            object.__setattr__(self, "many", many)

        def _coerce_value(self, value, param, ctx):
            if self.many:  # a repeatable option (list[str], ...): Click gives a tuple, Typer's conversion a list
                return [self._coerce_one(item, param, ctx) for item in value]
            return self._coerce_one(value, param, ctx)

        def _coerce_one(self, value, param, ctx):
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


def _plain_type(annotation) -> tuple[type | None, bool]:
    """(str, int, float or bool, False) for one of those (also Optional[...]); (that type, True) for
    a list of one (also Optional[list[...]]); (None, False) for anything else."""
    import types
    import typing

    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        annotation = args[0] if len(args) == 1 else None
    many = typing.get_origin(annotation) is list and len(typing.get_args(annotation)) == 1
    if many:
        annotation = typing.get_args(annotation)[0]
    return (annotation, many) if annotation in (str, int, float, bool) else (None, False)


def click_errors() -> tuple[type, type]:
    """(ClickException, UsageError) of the Click that Typer runs on (public: typer.BadParameter's bases)."""
    import typer

    bases = {cls.__name__: cls for cls in typer.BadParameter.__mro__}
    return bases["ClickException"], bases["UsageError"]


def start_completion() -> bool:
    """Let Typer's shell classes answer a completion request; False when this Typer has none."""
    try:
        from typer._completion_classes import completion_init
    except ImportError:
        return False
    completion_init()
    return True


def completion_script(prog_name: str, complete_var: str, shell: str) -> str:
    """The completion script Typer writes for `shell` (its templates are private).

    Raises:
        UsageError: this Typer has no completion scripts.
    """
    try:
        from typer._completion_shared import get_completion_script
    except ImportError:
        from meshctl.errors import UsageError

        raise UsageError("this Typer version has no shell completion scripts") from None
    return get_completion_script(prog_name=prog_name, complete_var=complete_var, shell=shell)
