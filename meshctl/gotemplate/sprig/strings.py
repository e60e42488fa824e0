"""sprig's strings.go (and the goutils/xstrings helpers it calls): string functions, strval/strslice, random strings."""

from __future__ import annotations

import base64
import binascii
import random
import re

from meshctl.goenc.gofmt import quote_string, sprint
from meshctl.goenc.values import MISSING, GoValue
from meshctl.gotemplate.limits import afford, check_size
from meshctl.gotemplate.params import FuncError, arg_int, arg_str, as_slice, iface


def strval(value) -> str:
    """sprig strval: strings as is, Stringers via String(), everything else via %v."""
    if isinstance(value, str) and not isinstance(value, GoValue):
        return value
    return sprint(iface(value))


def strslice(value) -> list[str]:
    """sprig strslice: a list becomes its non-nil elements' strval; anything else a 1-list."""
    items = as_slice(value)
    if items is not None:
        return [strval(x) for x in items if x is not None and x is not MISSING]
    if value is None or value is MISSING:
        return []
    return [strval(value)]


# unicode.IsSpace: Python's str.isspace() also counts U+001C..U+001F, which Go does not.
GO_SPACES = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def _go_isspace(ch: str) -> bool:
    return ch in GO_SPACES


def to_bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def from_bytes(b: bytes) -> str:
    # Go strings are bytes; slicing mid-rune keeps the raw bytes (surrogateescape, as gofmt does).
    return b.decode("utf-8", "surrogateescape")


def _byte_slice(s: str, start: int, end: int | None = None) -> str:
    if s.isascii():
        return s[start:end]
    return from_bytes(to_bytes(s)[start:end])


def _byte_len(s: str) -> int:
    return len(s) if s.isascii() else len(to_bytes(s))


def trunc(c, s):
    c, s = arg_int(c), arg_str(s)
    n = _byte_len(s)
    if c < 0 and n + c > 0:
        return _byte_slice(s, n + c)
    if c >= 0 and n > c:
        return _byte_slice(s, 0, c)
    return s


def _abbreviate_full(s: str, offset: int, width: int) -> str:
    # goutils AbbreviateFull (byte offsets); sprig has already rejected the widths that error.
    n = _byte_len(s)
    if s == "" or n <= width:
        return s
    offset = min(offset, n)
    if n - offset < width - 3:
        offset = n - (width - 3)
    if offset <= 4:
        return _byte_slice(s, 0, width - 3) + "..."
    if width < 7:
        return ""
    if offset + width - 3 < n:
        return "..." + _abbreviate_full(_byte_slice(s, offset), 0, width - 3)
    return "..." + _byte_slice(s, n - (width - 3))


def abbrev(width, s):
    width, s = arg_int(width), arg_str(s)
    return s if width < 4 else _abbreviate_full(s, 0, width)


def abbrevboth(left, right, s):
    left, right, s = arg_int(left), arg_int(right), arg_str(s)
    if right < 4 or (left > 0 and right < 7):
        return s
    return _abbreviate_full(s, left, right)


def _map_runes(s: str, convert) -> str:
    # unicode.ToUpper/ToLower map one rune to one rune; Python's full case mapping ("ß" -> "SS") does not.
    if s.isascii():
        return convert(s)
    return "".join(c if len(convert(c)) != 1 else convert(c) for c in s)


def go_upper(s):
    return _map_runes(arg_str(s), str.upper)


def go_lower(s):
    return _map_runes(arg_str(s), str.lower)


def repeat(count, s):
    count, s = arg_int(count), arg_str(s)
    if count < 0:
        raise FuncError("strings: negative Repeat count")
    check_size(count * len(s))
    return s * count


def _is_title_separator(ch: str) -> bool:
    # strings.go isSeparator (used by strings.Title)
    if ch < "\x80":
        return not (ch.isalnum() or ch == "_")
    if ch.isalpha() or ch.isdigit():
        return False
    return _go_isspace(ch)


def title(s):
    out, prev = [], " "
    for ch in arg_str(s):
        out.append(ch.title() if len(ch.title()) == 1 and _is_title_separator(prev) else ch)
        prev = ch
    return "".join(out)


def untitle(s):
    # goutils Uncapitalize: lower-case the first letter of each whitespace-separated word.
    out, gap = [], True
    for ch in arg_str(s):
        if _go_isspace(ch):
            gap = True
            out.append(ch)
        else:
            out.append(ch.lower() if gap and len(ch.lower()) == 1 else ch)
            gap = False
    return "".join(out)


def swapcase(s):
    # goutils SwapCase: upper/title -> lower; lower -> title after whitespace, else upper.
    out, gap = [], True
    for ch in arg_str(s):
        if ch.isupper() or ch.istitle():
            out.append(ch.lower() if len(ch.lower()) == 1 else ch)
            gap = False
        elif ch.islower():
            up = ch.title() if gap else ch.upper()
            out.append(up if len(up) == 1 else ch)
            gap = False
        else:
            out.append(ch)
            gap = _go_isspace(ch)
    return "".join(out)


def _go_byte_runes(s: str) -> list[str]:
    # goutils iterates `rune(str[i])`: each byte becomes the rune with the same number.
    return [chr(b) for b in to_bytes(s)] if not s.isascii() else list(s)


def nospace(s):
    # goutils DeleteWhiteSpace, byte-wise like the original.
    s = arg_str(s)
    kept = [ch for ch in _go_byte_runes(s) if not _go_isspace(ch)]
    return s if len(kept) == _byte_len(s) else "".join(kept)


def initials(s):
    # goutils Initials: the first byte of each whitespace-separated word.
    out, gap = [], True
    for ch in _go_byte_runes(arg_str(s)):
        if _go_isspace(ch):
            gap = True
        elif gap:
            out.append(ch)
            gap = False
    return "".join(out)


def _wrap_custom(s: str, width: int, newline: str, wrap_long: bool) -> str:
    # goutils WrapCustom (byte offsets, splits only at ' ').
    if s == "":
        return ""
    newline = newline or "\n"
    width = max(width, 1)
    check_size(len(s) + (len(s) // width + 1) * len(newline))
    b, nl = to_bytes(s), to_bytes(newline)
    n, offset, out = len(b), 0, bytearray()
    while n - offset > width:
        if b[offset] == 0x20:
            offset += 1
            continue
        space = b.rfind(b" ", offset, width + offset + 1)
        if space >= offset:
            out += b[offset:space] + nl
            offset = space + 1
        elif wrap_long:
            out += b[offset : offset + width] + nl
            offset += width
        else:
            space = b.find(b" ", width + offset)
            if space == -1:
                out += b[offset:]
                offset = n
            else:
                out += b[offset:space] + nl
                offset = space + 1
    out += b[offset:]
    return from_bytes(bytes(out))


def _is_connector(ch: str) -> bool:
    return ch in "-_" or _go_isspace(ch)


def camelcase(s):
    # xstrings ToPascalCase (sprig's "camelcase"): connectors dropped, the following rune upper-cased;
    # leading and doubled connectors are kept.
    s = arg_str(s)
    out, i = [], 0
    while i < len(s) and _is_connector(s[i]):
        out.append(s[i])
        i += 1
    if i == len(s):
        return s
    prev = s[i].upper()
    for ch in s[i + 1 :]:
        if _is_connector(ch) and _is_connector(prev):
            out.append(prev)
            prev = ch
            continue
        if _is_connector(prev):
            ch = ch.upper()
        else:
            out.append(prev)
        prev = ch
    out.append(prev)
    return "".join(out)


# Words of an alphanumeric run, on a class string (U upper, L other letter, D digit): digits followed by
# lower-case letters start a word ("HTTP2xx" -> HTTP, 2xx); other digits end the word before them.
_CASE_WORD_RE = re.compile(r"D+L[DL]*|D+|U+(?=UL)|U?L+|U+")


_ALNUM_RUN_RE = re.compile(r"[^\W_]+")


def _case_words(run: str) -> list[str]:
    classes = "".join("U" if c.isupper() else "D" if c.isdigit() else "L" for c in run)
    words: list[str] = []
    for m in _CASE_WORD_RE.finditer(classes):
        word = run[m.start() : m.end()]
        if words and not m.group().strip("D") and not words[-1][-1].isdigit():
            words[-1] += word
        else:
            words.append(word)
    return words


def _to_lower_case_words(s: str, connector: str) -> str:
    # xstrings camelCaseToLowerCase (ToSnakeCase/ToKebabCase): words split at case changes and joined by
    # `connector` ("HTTPServer" -> http_server, "Bld4Floor3rd" -> bld4_floor_3rd); every '_', '-' or space
    # becomes one `connector`; other punctuation stays as it is.
    out, pos = [], 0
    for m in _ALNUM_RUN_RE.finditer(s):
        out.extend(connector if _is_connector(c) else c for c in s[pos : m.start()])
        out.append(connector.join(_case_words(m.group())).lower())
        pos = m.end()
    out.extend(connector if _is_connector(c) else c for c in s[pos:])
    return "".join(out)


def snakecase(s):
    return _to_lower_case_words(arg_str(s), "_")


def kebabcase(s):
    return _to_lower_case_words(arg_str(s), "-")


def substr(start, end, s):
    start, end, s = arg_int(start), arg_int(end), arg_str(s)
    n = _byte_len(s)
    if start < 0:
        lo, hi = 0, end
    elif end < 0 or end > n:
        lo, hi = start, n
    else:
        lo, hi = start, end
    if not 0 <= lo <= hi <= n:
        raise FuncError(f"runtime error: slice bounds out of range [{lo}:{hi}]")
    return _byte_slice(s, lo, hi)


def go_quote(s: str) -> str:
    """strconv.Quote, with a fast path for the common printable-ASCII case."""
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return '"' + s + '"'
    return quote_string(s)


def quote(*args):
    return " ".join(go_quote(strval(a)) for a in args if a is not None and a is not MISSING)


def squote(*args):
    return " ".join("'" + strval(a) + "'" for a in args if a is not None and a is not MISSING)


def cat(*args):
    return " ".join(sprint(a) for a in args if a is not None and a is not MISSING)


def indent(spaces, s):
    spaces, s = arg_int(spaces), arg_str(s)
    check_size(len(s) + max(spaces, 0) * (s.count("\n") + 1))
    pad = " " * spaces
    return pad + s.replace("\n", "\n" + pad)


def nindent(spaces, s):
    return "\n" + indent(spaces, s)


def plural(one, many, count):
    return arg_str(one) if arg_int(count) == 1 else arg_str(many)


def _go_split(s: str, sep: str, n: int = -1) -> list[str]:
    # strings.SplitN: an empty separator splits after each UTF-8 sequence.
    if n == 0:
        return []
    afford(min(len(s) if sep == "" else s.count(sep) + 1, n if n > 0 else len(s) + 1))
    if sep == "":
        parts = list(s)
        if 0 < n < len(parts):
            parts = parts[: n - 1] + ["".join(parts[n - 1 :])]
        return parts
    return s.split(sep, n - 1 if n > 0 else -1)


def split(sep, orig):
    return {f"_{i}": v for i, v in enumerate(_go_split(arg_str(orig), arg_str(sep)))}


def splitn(sep, n, orig):
    return {f"_{i}": v for i, v in enumerate(_go_split(arg_str(orig), arg_str(sep), arg_int(n)))}


def split_list(sep, orig):
    return _go_split(arg_str(orig), arg_str(sep))


def join(sep, v):
    sep, items = arg_str(sep), strslice(v)
    check_size(sum(map(len, items)) + len(sep) * max(len(items) - 1, 0))
    return sep.join(items)


def replace(old, new, src) -> str:
    """strings.Replace(src, old, new, -1) (the function map takes the arguments in this order)."""
    old, new, src = arg_str(old), arg_str(new), arg_str(src)
    if len(new) > len(old):
        check_size(len(src) + (src.count(old) if old else len(src) + 1) * (len(new) - len(old)))
    return src.replace(old, new)


def _go_b64decode(s: str, alphabet_re: str, decoder, quantum: int) -> str:
    # encoding/base64 StdEncoding.DecodeString ignores \r and \n; sprig returns the error text.
    data = s.replace("\r", "").replace("\n", "")
    bad = re.search(alphabet_re, data)
    if bad is None and len(data) % quantum == 0:
        try:
            return from_bytes(decoder(data))
        except (binascii.Error, ValueError):
            pass
    pos = bad.start() if bad is not None else (len(data) // quantum) * quantum
    return f"illegal base64 data at input byte {pos}" if quantum == 4 else f"illegal base32 data at input byte {pos}"


def b64dec(s):
    return _go_b64decode(arg_str(s), r"[^A-Za-z0-9+/=]|=[^=]", lambda d: base64.b64decode(d, validate=True), 4)


def b32dec(s):
    return _go_b64decode(arg_str(s), r"[^A-Z2-7=]|=[^=]", base64.b32decode, 8)


def _random_string(alphabet: str):
    def generate(count):
        count = arg_int(count)
        check_size(count)
        rng = random.SystemRandom()
        return "".join(rng.choice(alphabet) for _ in range(count))

    return generate


# randAlphaNum, randAlpha, randAscii, randNumeric (strings.go, on goutils' CryptoRandom*). The
# alphabets are spelled out: importing `string` for them costs more than the rest of this module.
_LETTERS, _DIGITS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"
rand_alpha_num = _random_string(_LETTERS + _DIGITS)
rand_alpha = _random_string(_LETTERS)
rand_ascii = _random_string("".join(map(chr, range(32, 127))))
rand_numeric = _random_string(_DIGITS)


def wrap(width, s) -> str:
    """goutils Wrap (the function map swaps the arguments: `wrap 80 $s`)."""
    return _wrap_custom(arg_str(s), arg_int(width), "", False)


def wrap_with(width, sep, s) -> str:
    """goutils WrapCustom(s, width, sep, true)."""
    return _wrap_custom(arg_str(s), arg_int(width), arg_str(sep), True)


def b64enc(s) -> str:
    return base64.b64encode(to_bytes(arg_str(s))).decode()


def b32enc(s) -> str:
    return base64.b32encode(to_bytes(arg_str(s))).decode()


def shuffle(s):
    chars = list(arg_str(s))
    random.SystemRandom().shuffle(chars)
    return "".join(chars)


def expand_dollars(text: str, read) -> str:
    """Replace each "$..." in `text`: read(text, i) gets the index just after "$" and returns
    (replacement, index to continue at). A "$" at the very end stays."""
    out, pos = [], 0
    i = text.find("$")
    while i != -1 and i + 1 < len(text):
        out.append(text[pos:i])
        replacement, pos = read(text, i + 1)
        out.append(replacement)
        i = text.find("$", pos)
    out.append(text[pos:])
    return "".join(out)
