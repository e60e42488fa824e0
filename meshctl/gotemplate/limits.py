"""Bounds on one template execution: work done and output produced (Go's text/template has none).

A template can loop (``{{ range until 100000000 }}``), recurse through ``{{template}}`` calls, or build
huge values with a few functions (``repeat``, ``until``, a string doubled in a loop); from the cluster
or a snapshot it is untrusted input. Each execution therefore has a budget:

- **steps** (``Limits.max_steps``): one per range iteration and per ``{{template}}`` call, one per
  element of a list or map a function returns, and one per 256 characters of a string a function
  returns, plus what costly functions count themselves (``spend``: ``uniq``'s comparisons, key
  generation). The executor counts results; functions that would build a big value first check that
  the execution can afford it (``afford``, ``check_size``), so that it is never built.
- **output** (``Limits.max_output``): characters written by the template, and the length of any one
  string a function builds.

Exceeding either raises `LimitExceeded` (a TemplateError) naming the limit. The defaults are far above
what Istio's templates need (about 2 000 steps and 10 kB of output for a sidecar) and stop a runaway
template within a few seconds and well under 100 MB of memory.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from .errors import LimitExceeded

# One step per this many characters of a string a function returns.
STRING_STEP = 256


@dataclass(frozen=True)
class Limits:
    """The budget of one execution (see the module docstring for what counts)."""

    max_steps: int = 1_000_000
    max_output: int = 16 * 1024 * 1024


class Budget:
    """What is left of an execution's Limits. The executor's State is one; functions reach the
    running execution's through `afford`/`check_size` (Go function signatures have no context)."""

    __slots__ = ("steps_left", "output_size", "limits", "name")

    def __init__(self, limits: Limits, name: str):
        self.steps_left = limits.max_steps
        self.output_size = 0
        self.limits = limits
        self.name = name

    def steps_exceeded(self) -> LimitExceeded:
        n = self.limits.max_steps
        return LimitExceeded(
            f"template: {self.name}: stopped after {n} execution steps (range iterations, template calls, "
            "elements built by functions): the template step limit", "max_steps", n)

    def output_exceeded(self) -> LimitExceeded:
        n = self.limits.max_output
        return LimitExceeded(
            f"template: {self.name}: output or a value built by a function exceeds {n} bytes: the template "
            "output limit", "max_output", n)


# The budget of the execution running in this context (None outside any).
RUNNING: ContextVar[Budget | None] = ContextVar("meshctl.gotemplate.budget", default=None)


def afford(steps: int) -> None:
    """Raise LimitExceeded if the running execution cannot afford `steps` more (say, the elements of a
    list a function is about to build; the executor counts them when the function returns). No-op
    outside an execution."""
    budget = RUNNING.get()
    if budget is not None and steps > budget.steps_left:
        raise budget.steps_exceeded()


def spend(steps: int) -> None:
    """Count `steps` of work a function does beyond what its result shows (comparisons, key
    derivation), raising LimitExceeded when the running execution has no steps left."""
    budget = RUNNING.get()
    if budget is not None:
        budget.steps_left -= steps
        if budget.steps_left < 0:
            raise budget.steps_exceeded()


def check_size(size: int) -> None:
    """Refuse to build a string of `size` characters beyond the running execution's output limit
    (the default Limits outside an execution)."""
    budget = RUNNING.get()
    limit = budget.limits.max_output if budget is not None else Limits.max_output
    if size > limit:
        raise (budget or Budget(Limits(), "function")).output_exceeded()
    afford(size // STRING_STEP)
