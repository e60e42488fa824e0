"""Go's ``fmt`` package for engine values: ``sprint``, ``sprintln`` and ``sprintf``.

Follows go/src/fmt/print.go and format.go. ``%v`` of a float64 is strconv's shortest
``'g'`` form, with an exponent when the decimal exponent is < -4 or >= 6 (strconv
ftoa.go: "if precision was the shortest possible, use precision 6 for this decision"):
100000 -> ``100000``, 1000000 -> ``1e+06``, 0.0001 -> ``0.0001``, 0.00001 -> ``1e-05``.
"""

from __future__ import annotations

import math

from .values import MISSING, GoValue, go_type_name

_NIL_ANGLE = "<nil>"


def sprint(*args) -> str:
    """fmt.Sprint: spaces between operands when neither side is a string."""
    out = []
    prev_string = False
    for i, arg in enumerate(args):
        is_string = isinstance(arg, str) or (isinstance(arg, GoValue) and arg.go_kind == "string")
        if i > 0 and not is_string and not prev_string:
            out.append(" ")
        out.append(format_value(arg, "v"))
        prev_string = is_string
    return "".join(out)


def sprintln(*args) -> str:
    """fmt.Sprintln: spaces always, newline at the end."""
    return " ".join(format_value(arg, "v") for arg in args) + "\n"


def sprintf(fmt: str, *args) -> str:
    """fmt.Sprintf with Go's verbs, flags, width, precision and %!verb(type=value) errors."""
    return _Printer(args).run(fmt)


def format_value(value, verb: str = "v") -> str:
    """One operand formatted with ``%<verb>`` and no flags."""
    return _Printer(()).arg_text(value, verb, _Flags())


# ---------------------------------------------------------------------------
# floats (strconv.FormatFloat)


def _shortest_digits(f: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of abs(f) and the decimal point position:
    abs(f) == 0.DIGITS * 10**dp. Python's repr is the same shortest algorithm as Go's."""
    text = repr(abs(f))
    mantissa, _, exp = text.partition("e")
    exponent = int(exp) if exp else 0
    whole, _, frac = mantissa.partition(".")
    if frac == "0":
        frac = ""
    digits = (whole + frac).lstrip("0")
    if not digits:
        return "0", 1
    lead_zeros = len(whole + frac) - len((whole + frac).lstrip("0"))
    dp = len(whole) - lead_zeros + exponent
    return digits.rstrip("0") or "0", dp


def _rounded_digits(f: float, ndigits: int) -> tuple[str, int]:
    """abs(f) correctly rounded to ndigits significant digits (trailing zeros trimmed)."""
    if f == 0:
        return "0", 1
    text = "%.*e" % (max(ndigits, 1) - 1, abs(f))
    mantissa, _, exp = text.partition("e")
    digits = mantissa.replace(".", "").rstrip("0") or "0"
    return digits, int(exp) + 1


def _fmt_e(neg: bool, digits: str, dp: int, prec: int, letter: str) -> str:
    first = digits[0] if digits else "0"
    out = "-" if neg else ""
    out += first
    if prec > 0:
        rest = digits[1 : prec + 1]
        out += "." + rest + "0" * (prec - len(rest))
    exp = dp - 1 if digits != "0" else 0
    sign = "-" if exp < 0 else "+"
    exp = abs(exp)
    return out + letter + sign + (("0" + str(exp)) if exp < 10 else str(exp))


def _fmt_f(neg: bool, digits: str, dp: int, prec: int) -> str:
    out = "-" if neg else ""
    if dp > 0:
        integer = digits[:dp]
        out += integer + "0" * (dp - len(integer))
    else:
        out += "0"
    if prec > 0:
        frac = []
        for i in range(prec):
            j = dp + i
            frac.append(digits[j] if 0 <= j < len(digits) else "0")
        out += "." + "".join(frac)
    return out


def format_float(f: float, fmt: str = "g", prec: int = -1, bitsize: int = 64) -> str:
    """strconv.FormatFloat for fmt in e E f F g G (prec -1 means shortest)."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    neg = math.copysign(1.0, f) < 0
    if fmt in ("x", "X"):
        return _hex_float(f, fmt, prec if prec >= 0 else None)
    if fmt == "b":
        if f == 0:
            return ("-" if neg else "") + "0p-1074"
        m, exp = math.frexp(abs(f))
        mant, exp = int(m * (1 << 53)), exp - 53
        if exp < -1074:  # denormal: Go keeps the exponent at -1074
            mant >>= -1074 - exp
            exp = -1074
        return ("-" if neg else "") + "%dp%s%d" % (mant, "+" if exp >= 0 else "-", abs(exp))
    shortest = prec < 0
    lower = fmt.lower()
    if shortest:
        digits, dp = _shortest_digits(f)
        if lower == "e":
            prec = len(digits) - 1
        elif lower == "f":
            prec = max(len(digits) - dp, 0)
        else:
            prec = len(digits)
    else:
        if lower == "e":
            digits, dp = _rounded_digits(f, prec + 1)
        elif lower == "f":
            text = "%.*f" % (prec, abs(f))
            return ("-" if neg else "") + text
        else:
            if prec == 0:
                prec = 1
            digits, dp = _rounded_digits(f, prec)
    if f == 0:
        digits, dp = "0", 1
    if lower == "e":
        return _fmt_e(neg, digits, dp, prec, "e" if fmt == "e" else "E")
    if lower == "f":
        return _fmt_f(neg, digits, dp, prec)
    # %g: strconv ftoa.go
    eprec = prec
    if eprec > len(digits) and len(digits) >= dp:
        eprec = len(digits)
    if shortest:
        eprec = 6
    exp = dp - 1
    if exp < -4 or exp >= eprec:
        if prec > len(digits):
            prec = len(digits)
        return _fmt_e(neg, digits, dp, prec - 1, "e" if fmt == "g" else "E")
    if prec > dp:
        prec = len(digits)
    return _fmt_f(neg, digits, dp, max(prec - dp, 0))


# ---------------------------------------------------------------------------
# the printer


class _Flags:
    __slots__ = ("minus", "plus", "sharp", "space", "zero", "plus_v", "sharp_v", "wid", "prec")

    def __init__(self):
        self.minus = self.plus = self.sharp = self.space = self.zero = False
        self.plus_v = self.sharp_v = False
        self.wid = None
        self.prec = None


def _pad(text: str, flags: _Flags) -> str:
    if flags.wid is None:
        return text
    width = flags.wid - len(text)
    if width <= 0:
        return text
    if flags.minus:
        return text + " " * width
    if flags.zero:
        return "0" * width + text
    return " " * width + text


def _quote(s: str, ascii_only: bool = False) -> str:
    """strconv.Quote."""
    out = ['"']
    for ch in s:
        out.append(_quote_char(ch, '"', ascii_only))
    out.append('"')
    return "".join(out)


_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\"}


def _quote_char(ch: str, quote: str, ascii_only: bool = False) -> str:
    if ch == quote:
        return "\\" + ch
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an invalid UTF-8 byte kept by surrogateescape
        return "\\x%02x" % (code - 0xDC00)
    if 0xD800 <= code <= 0xDFFF:
        return "\\ufffd"
    if code < 0x80:
        if ch.isprintable():
            return ch
        return "\\x%02x" % code
    if not ascii_only and ch.isprintable():
        return ch
    if code < 0x10000:
        return "\\u%04x" % code
    return "\\U%08x" % code


def quote_string(s: str) -> str:
    """Go's strconv.Quote (used by %q and by sprig's quote)."""
    return _quote(s)


class _Printer:
    def __init__(self, args):
        self.args = args
        self.erroring = False

    # -- driver (print.go doPrintf) --
    def run(self, fmt: str) -> str:
        out = []
        args = self.args
        nargs = len(args)
        argnum = 0
        after_index = False
        self.reordered = False
        end = len(fmt)
        i = 0
        while i < end:
            self.good_argnum = True
            j = fmt.find("%", i)
            if j < 0:
                out.append(fmt[i:])
                break
            out.append(fmt[i:j])
            i = j + 1
            flags = _Flags()
            simple = False
            while i < end:
                c = fmt[i]
                if c == "#":
                    flags.sharp = True
                elif c == "0":
                    flags.zero = not flags.minus
                elif c == "+":
                    flags.plus = True
                elif c == "-":
                    flags.minus = True
                    flags.zero = False
                elif c == " ":
                    flags.space = True
                else:
                    if "a" <= c <= "z" and argnum < nargs:
                        simple = True
                    break
                i += 1
            if simple:
                out.append(self._print_verb(args[argnum], fmt[i], flags))
                argnum += 1
                i += 1
                continue
            argnum, i, after_index = self._arg_number(argnum, fmt, i, nargs)
            if i < end and fmt[i] == "*":
                i += 1
                flags.wid, argnum = self._int_from_arg(argnum)
                if flags.wid is None:
                    out.append("%!(BADWIDTH)")
                elif flags.wid < 0:
                    flags.wid = -flags.wid
                    flags.minus = True
                    flags.zero = False
                after_index = False
            else:
                flags.wid, i = _parse_num(fmt, i, end)
                if after_index and flags.wid is not None:
                    self.good_argnum = False
            if i + 1 < end and fmt[i] == ".":
                i += 1
                if after_index:
                    self.good_argnum = False
                argnum, i, after_index = self._arg_number(argnum, fmt, i, nargs)
                if i < end and fmt[i] == "*":
                    i += 1
                    flags.prec, argnum = self._int_from_arg(argnum)
                    if flags.prec is not None and flags.prec < 0:
                        flags.prec = None
                    if flags.prec is None:
                        out.append("%!(BADPREC)")
                    after_index = False
                else:
                    flags.prec, i = _parse_num(fmt, i, end)
                    if flags.prec is None:
                        flags.prec = 0
            if not after_index:
                argnum, i, after_index = self._arg_number(argnum, fmt, i, nargs)
            if i >= end:
                out.append("%!(NOVERB)")
                break
            verb = fmt[i]
            i += 1
            if verb == "%":
                out.append("%")
            elif not self.good_argnum:
                out.append("%!" + verb + "(BADINDEX)")
            elif argnum >= nargs:
                out.append("%!" + verb + "(MISSING)")
            else:
                out.append(self._print_verb(args[argnum], verb, flags))
                argnum += 1
        if not self.reordered and argnum < nargs:
            extra = []
            for arg in args[argnum:]:
                if arg is None or arg is MISSING:
                    extra.append(_NIL_ANGLE)
                else:
                    extra.append(go_type_name(arg) + "=" + format_value(arg, "v"))
            out.append("%!(EXTRA " + ", ".join(extra) + ")")
        return "".join(out)

    def _print_verb(self, arg, verb: str, flags: _Flags) -> str:
        if verb == "v":
            flags.sharp_v, flags.sharp = flags.sharp, False
            flags.plus_v, flags.plus = flags.plus, False
        return self.arg_text(arg, verb, flags)

    def _arg_number(self, argnum, fmt, i, numargs):
        """print.go argNumber: an explicit [n] index. Returns (argnum, i, found)."""
        if i >= len(fmt) or fmt[i] != "[":
            return argnum, i, False
        self.reordered = True
        index, width, ok = _parse_arg_number(fmt[i:])
        if ok and 0 <= index < numargs:
            return index, i + width, True
        self.good_argnum = False
        return argnum, i + width, ok

    def _int_from_arg(self, argnum):
        """print.go intFromArg: (value or None when not a usable int, next argnum)."""
        if argnum >= len(self.args):
            return None, argnum
        arg = self.args[argnum]
        if isinstance(arg, int) and not isinstance(arg, bool) and -1_000_000 <= arg <= 1_000_000:
            return int(arg), argnum + 1
        return None, argnum + 1

    # -- one operand (print.go printArg) --
    def arg_text(self, arg, verb: str, flags: _Flags) -> str:
        if arg is None or arg is MISSING:
            if verb in ("T", "v"):
                return _pad(_NIL_ANGLE, flags)
            return self._bad_verb(arg, verb, flags)
        if verb == "T":
            return self._str_text(go_type_name(arg), flags)
        if verb == "p":
            return self._pointer(arg, verb, flags)
        return self._value(arg, verb, flags, 0)

    def _bad_verb(self, arg, verb: str, flags: _Flags | None = None) -> str:
        # print.go badVerb: the operand is printed with %v and the same flags.
        self.erroring, was = True, self.erroring
        try:
            if arg is None or arg is MISSING:
                return "%!" + verb + "(" + _NIL_ANGLE + ")"
            flags = flags or _Flags()
            return "%!" + verb + "(" + go_type_name(arg) + "=" + self._value(arg, "v", flags, 0) + ")"
        finally:
            self.erroring = was

    def _pointer(self, arg, verb, flags):
        if isinstance(arg, (dict, list)) or callable(arg) or getattr(arg, "is_pointer", False) or go_kind_is_ptr(arg):
            return _pad("0xc%09x" % (id(arg) & 0xFFFFFFFFF), flags)
        return self._bad_verb(arg, verb, flags)

    def _value(self, value, verb: str, flags: _Flags, depth: int) -> str:
        if value is None:
            if depth == 0:
                return self.arg_text(value, verb, flags)
            return "interface {}(nil)" if flags.sharp_v else _NIL_ANGLE
        if value is MISSING:
            return "<invalid reflect.Value>" if depth == 0 else (_NIL_ANGLE if verb == "v" else self._bad_verb(value, verb, flags))
        if isinstance(value, GoValue):
            return self._go_value(value, verb, flags, depth)
        if isinstance(value, bool):
            return self._bool(value, verb, flags)
        if isinstance(value, int):
            return self._integer(value, verb, flags, value)
        if isinstance(value, float):
            return self._float(value, verb, flags, value)
        if isinstance(value, str):
            return self._string(value, verb, flags, value)
        if isinstance(value, complex):
            return self._complex(value, verb, flags)
        if isinstance(value, dict):
            return self._map(value, verb, flags, depth, "map[string]interface {}")
        if isinstance(value, (list, tuple)):
            return self._slice(value, verb, flags, depth, "[]interface {}")
        if callable(value):
            return self._pointer(value, verb, flags)
        return _pad(str(value), flags)

    def _go_value(self, value: GoValue, verb, flags, depth) -> str:
        stringer = getattr(type(value), "String", None)
        if stringer is not None and not self.erroring and not flags.sharp_v and verb in "vsxXq":
            if not (value.go_kind == "ptr" and value.is_nil):
                return self._string(value.String(), verb, flags, value)
        kind = value.go_kind
        if kind == "ptr":
            if value.is_nil:
                if flags.sharp_v:
                    return "(" + value.go_type_name() + ")(nil)"
                return _pad(_NIL_ANGLE, flags) if verb == "v" else self._pointer(value, verb, flags)
            return self._pointer(value, "p", flags)
        if kind == "map":
            if value.is_nil and flags.sharp_v:
                return value.go_type_name() + "(nil)"
            return self._map(value, verb, flags, depth, value.go_type_name())
        if kind == "slice":
            return self._slice(value, verb, flags, depth, value.go_type_name())
        if kind == "struct":
            if getattr(value, "is_pointer", False):
                if depth > 0:
                    return self._pointer(value, "p", flags)
                depth += 1
                prefix = "&"
            else:
                prefix = ""
            parts = []
            for name, field_value in value.go_fields():
                text = self._value(field_value, verb, flags, depth + 1)
                parts.append(name + ":" + text if (flags.plus_v or flags.sharp_v) else text)
            sep = ", " if flags.sharp_v else " "
            return prefix + (value.go_type_name().lstrip("*") if flags.sharp_v else "") + "{" + sep.join(parts) + "}"
        if kind == "string":
            return self._string(str(value), verb, flags, value)
        if kind in ("int", "uint"):
            return self._integer(int(value), verb, flags, value)
        if kind == "float":
            return self._float(float(value), verb, flags, value)
        if kind == "bool":
            return self._bool(bool(value), verb, flags)
        return _pad(str(value), flags)

    def _bool(self, value: bool, verb, flags) -> str:
        if verb in ("t", "v"):
            return _pad("true" if value else "false", flags)
        return self._bad_verb(value, verb, flags)

    def _integer(self, n: int, verb, flags, original) -> str:
        if verb in ("v", "d"):
            if flags.sharp_v and verb == "v":
                return self._int_text(n, 10, False, verb, flags)
            return self._int_text(n, 10, False, verb, flags)
        if verb == "b":
            return self._int_text(n, 2, False, verb, flags)
        if verb in ("o", "O"):
            return self._int_text(n, 8, False, verb, flags)
        if verb == "x":
            return self._int_text(n, 16, False, verb, flags)
        if verb == "X":
            return self._int_text(n, 16, True, verb, flags)
        if verb == "c":
            return _pad(_rune(n), flags)
        if verb == "q":
            ch = _rune(n)
            return _pad("'" + _quote_char(ch, "'", flags.plus) + "'", flags)
        if verb == "U":
            text = "U+%04X" % n if n >= 0 else "U+%04X" % (n & 0xFFFFFFFFFFFFFFFF)
            if flags.sharp and 0 <= n <= 0x10FFFF and _rune(n).isprintable():
                text += " '" + _rune(n) + "'"
            return _pad(text, flags)
        return self._bad_verb(original, verb, flags)

    def _int_text(self, n: int, base: int, upper: bool, verb: str, flags: _Flags) -> str:
        """format.go fmtInteger."""
        neg = n < 0
        digits = ""
        if flags.prec is not None:
            prec = flags.prec
            if prec == 0 and n == 0:
                old_zero = flags.zero
                flags.zero = False
                text = _pad("", flags)
                flags.zero = old_zero
                return text
        elif flags.zero and flags.wid is not None and not flags.minus:
            prec = flags.wid
            if neg or flags.plus or flags.space:
                prec -= 1
        else:
            prec = 0
        magnitude = -n if neg else n
        if base == 10:
            digits = str(magnitude)
        elif base == 16:
            digits = "%X" % magnitude if upper else "%x" % magnitude
        elif base == 8:
            digits = "%o" % magnitude
        else:
            digits = bin(magnitude)[2:]
        if len(digits) < prec:
            digits = "0" * (prec - len(digits)) + digits
        if flags.sharp:
            if base == 8 and not digits.startswith("0"):
                digits = "0" + digits
            elif base == 16:
                digits = ("0X" if upper else "0x") + digits
            elif base == 2:
                digits = "0b" + digits
        if verb == "O":
            digits = "0o" + digits
        if neg:
            digits = "-" + digits
        elif flags.plus:
            digits = "+" + digits
        elif flags.space:
            digits = " " + digits
        old_zero = flags.zero
        flags.zero = False
        text = _pad(digits, flags)
        flags.zero = old_zero
        return text

    def _float(self, f: float, verb, flags, original) -> str:
        if verb == "v":
            return self._float_text(f, "g", -1, flags)
        if verb in ("g", "G", "b", "x", "X"):
            return self._float_text(f, verb, -1, flags)
        if verb in ("f", "F", "e", "E"):
            return self._float_text(f, "f" if verb == "F" else verb, 6, flags)
        return self._bad_verb(original, verb, flags)

    def _float_text(self, f: float, verb: str, prec: int, flags: _Flags) -> str:
        """format.go fmtFloat."""
        if flags.prec is not None:
            prec = flags.prec
        num = format_float(f, verb, prec)
        if num[0] in "-+":
            sign, num = num[0], num[1:]
        else:
            sign = "+"
        if flags.sharp and verb != "b":
            num = _sharp_float(num, verb, prec)
        if num in ("Inf", "NaN"):
            if num == "NaN" and not flags.space and not flags.plus:
                sign = ""
            elif flags.space and sign == "+" and not flags.plus:
                sign = " "
            old_zero = flags.zero
            flags.zero = False
            text = _pad(sign + num, flags)
            flags.zero = old_zero
            return text
        if flags.space and sign == "+" and not flags.plus:
            sign = " "
        if flags.plus or sign != "+":
            if flags.zero and not flags.minus and flags.wid is not None and flags.wid > len(num) + 1:
                return sign + "0" * (flags.wid - len(num) - 1) + num
            return _pad(sign + num, flags)
        if flags.zero and not flags.minus and flags.wid is not None:
            return _pad(num, flags)
        return _pad(num, flags)

    def _complex(self, c: complex, verb, flags) -> str:
        if verb not in "vbgGxXfFeE":
            return self._bad_verb(c, verb, flags)
        old_plus = flags.plus
        real = self._float(c.real, verb, flags, c.real)
        flags.plus = True
        imag = self._float(c.imag, verb, flags, c.imag)
        flags.plus = old_plus
        return "(" + real + imag + "i)"

    def _string(self, s: str, verb, flags, original) -> str:
        if verb == "v":
            if flags.sharp_v:
                return _pad(_quote(s if flags.prec is None else s[: flags.prec]), flags)
            return self._str_text(s, flags)
        if verb == "s":
            return self._str_text(s, flags)
        if verb in ("x", "X"):
            data = s.encode("utf-8", "surrogateescape")
            if flags.prec is not None:
                data = data[: flags.prec]
            return _pad(_hex_bytes(data, verb, flags), flags)
        if verb == "q":
            if flags.prec is not None:
                s = s[: flags.prec]
            if flags.sharp and "`" not in s and all(ch == "\t" or ch.isprintable() for ch in s):
                return _pad("`" + s + "`", flags)
            return _pad(_quote(s, flags.plus), flags)
        return self._bad_verb(original, verb, flags)

    def _str_text(self, s: str, flags: _Flags) -> str:
        if flags.prec is not None:
            s = s[: flags.prec]
        return _pad(s, flags)

    def _map(self, value, verb, flags, depth, type_name) -> str:
        items = sorted(value.items(), key=lambda kv: map_key_order(kv[0]))
        if flags.sharp_v:
            parts = [self._value(k, verb, flags, depth + 1) + ":" + self._value(v, verb, flags, depth + 1) for k, v in items]
            return type_name + "{" + ", ".join(parts) + "}"
        parts = [self._value(k, verb, flags, depth + 1) + ":" + self._value(v, verb, flags, depth + 1) for k, v in items]
        return "map[" + " ".join(parts) + "]"

    def _slice(self, value, verb, flags, depth, type_name) -> str:
        if flags.sharp_v:
            return type_name + "{" + ", ".join(self._value(v, verb, flags, depth + 1) for v in value) + "}"
        return "[" + " ".join(self._value(v, verb, flags, depth + 1) for v in value) + "]"


def _parse_num(s: str, i: int, end: int):
    """print.go parsenum: (number or None, new index)."""
    num = None
    while i < end and "0" <= s[i] <= "9":
        if num is not None and num > 1_000_000:
            return None, end
        num = (num or 0) * 10 + ord(s[i]) - 48
        i += 1
    return num, i


def _parse_arg_number(s: str):
    """print.go parseArgNumber: (index, width consumed, ok) for "[n]..."."""
    if len(s) < 3:
        return 0, 1, False
    for i in range(1, len(s)):
        if s[i] == "]":
            num, new_i = _parse_num(s, 1, i)
            if num is None or new_i != i:
                return 0, i + 1, False
            return num - 1, i + 1, True
    return 0, 1, False


def go_kind_is_ptr(value) -> bool:
    """Whether `value` is a typed Go pointer (a nil one: non-nil pointers to structs are the structs)."""
    return isinstance(value, GoValue) and value.go_kind == "ptr"


def map_key_order(key):
    """The sort key of a map key in Go's printing order (internal/fmtsort: numbers, then strings by bytes)."""
    if isinstance(key, str):
        return (1, key.encode("utf-8", "surrogateescape"))
    if isinstance(key, (int, float)):
        return (0, key)
    return (2, str(key))


def _rune(n: int) -> str:
    if 0 <= n <= 0x10FFFF and not (0xD800 <= n <= 0xDFFF):
        return chr(n)
    return "\ufffd"


def _hex_bytes(data: bytes, verb: str, flags: _Flags) -> str:
    digits = "0123456789ABCDEF" if verb == "X" else "0123456789abcdef"
    prefix = ("0X" if verb == "X" else "0x") if flags.sharp else ""
    parts = []
    for i, byte in enumerate(data):
        if flags.space and i > 0:
            parts.append(" ")
        if flags.space or i == 0:
            parts.append(prefix)
        parts.append(digits[byte >> 4] + digits[byte & 15])
    return "".join(parts)


def _hex_float(f: float, verb: str, prec) -> str:
    """strconv's %x of a float64: -0x1.8p+01 (normalized mantissa, trailing zeros
    dropped, rounded to ``prec`` hex digits half to even)."""
    if math.isnan(f) or math.isinf(f):
        return format_float(f, "g")
    sign = "-" if math.copysign(1.0, f) < 0 else ""
    f = abs(f)
    if f == 0:
        mant, exp = 0, 0
    else:
        m, exp = math.frexp(f)  # f = m * 2**exp, 0.5 <= m < 1
        mant = int(m * (1 << 53))  # 53 significant bits, leading bit set
        exp -= 1
    # mant has the form 1.xxxx (52 fraction bits) when non-zero.
    frac = mant & ((1 << 52) - 1)
    lead = mant >> 52
    if prec is not None and prec >= 0 and prec < 13:
        shift = 52 - 4 * prec
        full = (lead << 52) | frac
        rounded = full >> shift
        rest = full & ((1 << shift) - 1)
        half = 1 << (shift - 1)
        if rest > half or (rest == half and rounded & 1):
            rounded += 1
        if rounded >> (4 * prec) >= 2:
            rounded >>= 1
            exp += 1
        lead = rounded >> (4 * prec)
        frac_digits = ("%0*x" % (prec, rounded & ((1 << (4 * prec)) - 1))) if prec else ""
    else:
        frac_digits = ("%013x" % frac).rstrip("0")
        if prec is not None and prec > 13:
            frac_digits = frac_digits.ljust(prec, "0")
    text = sign + "0x" + str(lead) + ("." + frac_digits if frac_digits else "")
    text += "p" + ("+" if exp >= 0 else "-") + "%02d" % abs(exp)
    return text.upper().replace("0X", "0X") if verb == "X" else text


def _sharp_float(num: str, verb: str, prec: int) -> str:
    """format.go fmtFloat's # flag: keep the decimal point, and for %g/%x pad with
    zeros to ``prec`` significant digits (6 when no precision was given)."""
    digits = 0
    if verb in ("v", "g", "G", "x"):
        digits = 6 if prec == -1 else prec
    tail = ""
    has_point = False
    saw_nonzero = False
    body = num
    i = 0
    while i < len(body):
        c = body[i]
        if c == ".":
            has_point = True
        elif c in "pP":
            tail, body = body[i:], body[:i]
            break
        elif c in "eE" and verb not in ("x", "X"):
            tail, body = body[i:], body[:i]
            break
        else:
            if c != "0":
                saw_nonzero = True
            if saw_nonzero:
                digits -= 1
        i += 1
    if not has_point:
        if body == "0":
            digits -= 1
        body += "."
    if digits > 0:
        body += "0" * digits
    return body + tail
