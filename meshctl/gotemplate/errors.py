"""The engine's errors: a template that fails to parse or execute, or that hit one of its limits."""

from __future__ import annotations


class TemplateError(Exception):
    """A parse or execution error. ``phase`` is "parse" or "exec"; ``str()`` is Go's message, e.g.
    ``template: root:3:7: executing "root" at <.a.b>: ...``."""

    def __init__(self, message: str, phase: str):
        super().__init__(message)
        self.phase = phase
        self.message = message


class LimitExceeded(TemplateError):
    """Execution stopped at one of meshctl's limits (Go's text/template has none). ``limit`` is the
    name of the Limits field that stopped it ("max_steps" or "max_output"), ``value`` its value."""

    def __init__(self, message: str, limit: str, value: int):
        super().__init__(message, "exec")
        self.limit = limit
        self.value = value


class ExecError(Exception):
    """An execution error with Go's full message (the executor's; Template turns it into TemplateError)."""
