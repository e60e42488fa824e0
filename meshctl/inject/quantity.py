"""Kubernetes resource.Quantity: parse and canonical serialisation (apimachinery quantity.go).

Injected objects are re-serialised through Go's typed structs, so ``2000m`` comes back as ``"2"``
and ``1024Mi`` as ``1Gi``; this module reproduces that.
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal, localcontext

_QUANTITY = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE]?)\Z")
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {exp: s for s, exp in _DECIMAL.items()}
_BINARY_SUFFIX = {exp: s for s, exp in _BINARY.items()}


class QuantityError(ValueError):
    """Not a Kubernetes quantity."""
    pass


def parse(text: str) -> tuple[Decimal, str]:
    """The exact value and the format ("BinarySI", "DecimalSI" or "DecimalExponent") of a quantity."""
    m = _QUANTITY.match(text.strip() if isinstance(text, str) else str(text))
    if not m:
        raise QuantityError(f"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text!r}")
    number, suffix = m.groups()
    with localcontext() as ctx:
        ctx.prec = 80
        value = Decimal(number)
        if suffix in _BINARY:
            value *= Decimal(2) ** _BINARY[suffix]
            fmt = "BinarySI"
        elif suffix[:1] in ("e", "E"):
            value = value.scaleb(int(suffix[1:]))
            fmt = "DecimalExponent"
        else:
            value = value.scaleb(_DECIMAL[suffix])
            fmt = "DecimalSI"
        # Quantities keep at most nano precision, rounding up (quantity.go ParseQuantity).
        value = value.quantize(Decimal("1e-9"), rounding=ROUND_CEILING) if value.as_tuple().exponent < -9 else value
    return value, fmt


def _decimal_canonical(value: Decimal) -> tuple[str, int]:
    """AsCanonicalBytes: an integer mantissa without trailing zeros, and an exponent that is a multiple of 3."""
    sign, digits, exp = value.normalize().as_tuple()
    mantissa = int("".join(map(str, digits)) or "0")
    shift = exp % 3
    mantissa *= 10**shift
    exp -= shift
    return ("-" if sign else "") + str(mantissa), exp


def canonical(text) -> str:
    """The string Go's Quantity.MarshalJSON writes for `text` (a quantity string or number)."""
    value, fmt = parse(str(text) if not isinstance(text, float) else repr(text))
    if value == 0:
        return "0"
    if fmt == "BinarySI":
        if -1024 < value < 1024 or value != value.to_integral_value():
            fmt = "DecimalSI"
        else:
            amount, times = int(value), 0
            while amount % 1024 == 0 and times < 6:
                amount //= 1024
                times += 1
            return f"{amount}{_BINARY_SUFFIX.get(times * 10, '')}" if times else str(amount)
    number, exp = _decimal_canonical(value)
    if fmt == "DecimalSI" and exp in _DECIMAL_SUFFIX:
        return number + _DECIMAL_SUFFIX[exp]
    return number + (f"e{exp}" if exp else "")
