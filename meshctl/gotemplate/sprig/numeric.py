"""sprig's numeric.go (and spf13/cast's conversions): integer and decimal arithmetic, `until`, `seq`."""

from __future__ import annotations

import functools
import math
import random
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from meshctl.goenc.gofmt import sprint
from meshctl.goenc.values import GoValue
from meshctl.gotemplate.limits import afford
from meshctl.gotemplate.params import FuncError, arg_float, arg_int, arg_str, iface

_INT64_MIN, _UINT64 = -(1 << 63), 1 << 64


def wrap64(n: int) -> int:
    """Two's-complement int64 overflow, as Go arithmetic wraps."""
    return (n - _INT64_MIN) % _UINT64 + _INT64_MIN


def _float_to_int(f: float) -> int:
    # Go's float->int conversion of NaN/Inf/out of range is the amd64 "indefinite integer".
    if math.isnan(f) or math.isinf(f) or not -(2.0**63) <= f < 2.0**63:
        return _INT64_MIN
    return int(f)


def _trim_zero_decimal(s: str) -> str:
    # spf13/cast trimZeroDecimal: "12.00" -> "12", "12.5" stays.
    found_zero = False
    for i in range(len(s), 0, -1):
        c = s[i - 1]
        if c == ".":
            if found_zero:
                return s[: i - 1]
        elif c == "0":
            found_zero = True
        else:
            return s
    return s


_GO_INT_RE = re.compile(r"[+-]?(0[xX](_?[0-9a-fA-F])+|0[bB](_?[01])+|0[oO]?(_?[0-7])+|[1-9](_?[0-9])*|0)")


def parse_go_int(s: str, base: int = 0) -> int | None:
    """strconv.ParseInt(s, base, 64): None on syntax or range error."""
    if base == 0:
        if not _GO_INT_RE.fullmatch(s):
            return None
        sign = -1 if s[0] == "-" else 1
        body = s.lstrip("+-").replace("_", "")
        if len(body) > 1 and body[0] == "0" and body[1] in "0123456789_":
            n = int(body, 8)
        else:
            n = int(body, 0)
        n *= sign
    else:
        if not re.fullmatch(r"[+-]?[0-9a-zA-Z]+", s):
            return None
        try:
            n = int(s, base)
        except ValueError:
            return None
    return n if _INT64_MIN <= n < -_INT64_MIN else None


def to_int64(value) -> int:
    """spf13/cast ToInt64 with errors ignored (sprig's toInt64/toInt)."""
    value = iface(value)
    if isinstance(value, GoValue) and value.go_kind in ("int", "uint", "float", "bool", "string"):
        value = {"int": int, "uint": int, "float": float, "bool": bool, "string": str}[value.go_kind](value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return wrap64(value)
    if isinstance(value, float):
        return _float_to_int(value)
    if isinstance(value, str):
        n = parse_go_int(_trim_zero_decimal(value))
        return 0 if n is None else n
    return 0


_GO_FLOAT_RE = re.compile(
    r"[+-]?(?:(?:[0-9](?:_?[0-9])*)?\.?[0-9]*(?:[eE][+-]?[0-9]+)?|inf(?:inity)?|nan|0[xX][0-9a-fA-F_.]+[pP][+-]?[0-9]+)",
    re.IGNORECASE,
)


def _parse_go_float(s: str) -> float | None:
    """strconv.ParseFloat(s, 64): None on error (Go also rejects "1e400" with a range error)."""
    if not s or not _GO_FLOAT_RE.fullmatch(s) or s in "+-.":
        return None
    is_hex = "x" in s.lower()
    if "_" in s and not is_hex:
        return None  # strconv: underscores only with a base prefix
    try:
        body = s.replace("_", "")
        f = float.fromhex(body) if is_hex else float(body)
    except ValueError:
        return None
    if math.isinf(f) and "inf" not in s.lower():
        return None
    return f


def to_float64(value) -> float:
    """spf13/cast ToFloat64 with errors ignored."""
    value = iface(value)
    if isinstance(value, GoValue) and value.go_kind in ("int", "uint", "float", "bool", "string"):
        value = {"int": int, "uint": int, "float": float, "bool": bool, "string": str}[value.go_kind](value)
    if isinstance(value, (bool, int, float)):
        return float(value)
    if isinstance(value, str):
        f = _parse_go_float(value)
        return 0.0 if f is None else f
    return 0.0


def until_step(start, stop, step):
    start, stop, step = arg_int(start), arg_int(stop), arg_int(step)
    if (step >= 0) if stop < start else (step <= 0):
        return []
    numbers = range(start, stop, step)
    afford(len(numbers))  # `until 100000000` must fail here, not after building the list
    return list(numbers)


def until(count):
    count = arg_int(count)
    return until_step(0, count, -1 if count < 0 else 1)


def seq(*params):
    params = [arg_int(p) for p in params]
    if len(params) == 1:
        start, end, step = 1, params[0], 1 if params[0] >= 1 else -1
        nums = until_step(start, end + step, step)
    elif len(params) == 2:
        start, end = params
        step = -1 if end < start else 1
        nums = until_step(start, end + step, step)
    elif len(params) == 3:
        start, step, end = params
        increment = 1
        if end < start:
            increment = -1
            if step > 0:
                return ""
        nums = until_step(start, end + increment, step)
    else:
        return ""
    return " ".join(map(str, nums))


def add(*values):
    return wrap64(sum(to_int64(v) for v in values))


def mul(a, *values):
    out = to_int64(a)
    for v in values:
        out = wrap64(out * to_int64(v))
    return out


def _go_div(a: int, b: int) -> int:
    if b == 0:
        raise FuncError("runtime error: integer divide by zero")
    q = abs(a) // abs(b)
    return wrap64(q if (a >= 0) == (b >= 0) else -q)


def div(a, b):
    return _go_div(to_int64(a), to_int64(b))


def mod(a, b):
    a, b = to_int64(a), to_int64(b)
    return a - _go_div(a, b) * b


def max_(a, *values):
    return max([to_int64(a), *map(to_int64, values)])


def min_(a, *values):
    return min([to_int64(a), *map(to_int64, values)])


def _go_fmax(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if a == b == 0:
        return a if math.copysign(1, a) > 0 else b
    return max(a, b)


def _go_fmin(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if a == b == 0:
        return a if math.copysign(1, a) < 0 else b
    return min(a, b)


def maxf(a, *values):
    return functools.reduce(_go_fmax, map(to_float64, values), to_float64(a))


def minf(a, *values):
    return functools.reduce(_go_fmin, map(to_float64, values), to_float64(a))


def _integral(f: float, rounding) -> float:
    # math.Floor/Ceil: Inf and NaN pass through, a zero result keeps the sign (Ceil(-0.5) is -0).
    if not math.isfinite(f):
        return f
    r = float(rounding(f))
    return math.copysign(r, f) if r == 0 else r


def floor_(a):
    return _integral(to_float64(a), math.floor)


def ceil_(a):
    return _integral(to_float64(a), math.ceil)


def round_(a, p, *r_opt):
    # numeric.go round: ceil when the fraction of a*10^p reaches roundOn (default .5), else floor.
    p = arg_int(p)
    round_on = arg_float(r_opt[0]) if r_opt else 0.5
    try:
        pow_ = math.pow(10, p)
    except OverflowError:
        pow_ = math.inf
    digit = pow_ * to_float64(a)
    if not math.isfinite(digit):
        return digit / pow_
    return _integral(digit, math.ceil if math.modf(digit)[0] >= round_on else math.floor) / pow_


def _decimal(f: float) -> Decimal:
    # shopspring decimal.NewFromFloat: the shortest decimal that round-trips.
    return Decimal(repr(f)) if math.isfinite(f) else Decimal(0)


def _decimal_op(op):
    def run(a, *values):
        acc = _decimal(to_float64(a))
        for v in values:
            acc = op(acc, _decimal(to_float64(v)))
        return float(acc)

    return run


def _decimal_div(d1: Decimal, d2: Decimal) -> Decimal:
    # shopspring Div: DivRound to 16 decimal places, half away from zero.
    if d2 == 0:
        raise FuncError("decimal division by zero")
    try:
        return (d1 / d2).quantize(Decimal("1e-16"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return d1 / d2


# The function map's arithmetic on int64 (wrapping as Go's does) and on decimals (execDecimalOp).
def add1(i) -> int:
    return wrap64(to_int64(i) + 1)


def sub(a, b) -> int:
    return wrap64(to_int64(a) - to_int64(b))


def add1f(i) -> float:
    return _decimal_op(lambda x, y: x + y)(i, 1)


def addf(*values) -> float:
    return _decimal_op(lambda x, y: x + y)(0.0, *values)


subf = _decimal_op(lambda x, y: x - y)
divf = _decimal_op(_decimal_div)
mulf = _decimal_op(lambda x, y: x * y)


def atoi(a):
    s = arg_str(a)
    if re.fullmatch(r"[+-]?[0-9]+", s):
        n = int(s)
        if _INT64_MIN <= n < -_INT64_MIN:
            return n
    return 0


def to_decimal(v):
    n = parse_go_int(sprint(iface(v)), 8)
    return 0 if n is None else n


def rand_int(lo, hi):
    lo, hi = arg_int(lo), arg_int(hi)
    if hi <= lo:
        raise FuncError("invalid argument to Intn")
    return random.SystemRandom().randrange(lo, hi)
