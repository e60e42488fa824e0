"""gofmt: Go's fmt.Sprintf/Sprint/Sprintln on engine values.

Every expected string below was produced by Go (fmt.Sprintf with the same format and
arguments decoded from JSON, i.e. float64 numbers), not written by hand.
"""

from __future__ import annotations

import pytest

from meshctl.goenc.gofmt import format_float, quote_string, sprint, sprintf, sprintln

# (format, args, Go's output)
SPRINTF_FROM_GO = [
    ('%v', [1000000.0], '1e+06'),
    ('%v', [100000.0], '100000'),
    ('%v', [0.0001], '0.0001'),
    ('%v', [1e-05], '1e-05'),
    ('%v', [1e+21], '1e+21'),
    ('%v', [123456789.0], '1.23456789e+08'),
    ('%v', [-0.0], '-0'),
    ('%v', [5e-324], '5e-324'),
    ('%v', [1.7976931348623157e+308], '1.7976931348623157e+308'),
    ('%d', [80.0], '%!d(float64=80)'),
    ('%s', [80.0], '%!s(float64=80)'),
    ('%q', [80.0], '%!q(float64=80)'),
    ('%x', [3.5], '0x1.cp+01'),
    ('%#x', [1.0], '0x1.0000p+00'),
    ('%b', [1.0], '4503599627370496p-52'),
    ('%.2f', [2.345], '2.35'),
    ('%.0f', [0.5], '0'),
    ('%.0f', [1.5], '2'),
    ('%e', [1234.5678], '1.234568e+03'),
    ('%E', [0.000123], '1.230000E-04'),
    ('%.3g', [1234.5678], '1.23e+03'),
    ('%g', [1e-07], '1e-07'),
    ('%#g', [1.0], '1.00000'),
    ('%#.3g', [100.0], '100.'),
    ('%8.3f|%-8.3f|%08.3f|%+.1e', [3.14159, 3.14159, -3.14159, 12345.678], '   3.142|3.142   |-003.142|+1.2e+04'),
    ('% .3f', [2.0], ' 2.000'),
    ('%6.2f%%', [99.5], ' 99.50%'),
    ('%v', [{'b': 1.0, 'a': [True, None], 'c': 'x'}], 'map[a:[true <nil>] b:1 c:x]'),
    ('%+v', [{'a': {'b': None}}], 'map[a:map[b:<nil>]]'),
    ('%#v', [{'a': 1.0, 'b': 'x', 'c': None, 'd': [1.0]}], 'map[string]interface {}{"a":1, "b":"x", "c":interface {}(nil), "d":[]interface {}{1}}'),
    ('%v', [[1.0, 'a', None, {'k': 'v'}]], '[1 a <nil> map[k:v]]'),
    ('%s', [['a', 'b']], '[a b]'),
    ('%d', [[1.0, 2.0]], '[%!d(float64=1) %!d(float64=2)]'),
    ('%q', [['a', 'b\n']], '["a" "b\\n"]'),
    ('%x', [['hi', 'yo']], '[6869 796f]'),
    ('%T %T %T %T %T %T', [1.0, 's', True, None, {}, []], 'float64 string bool <nil> map[string]interface {} []interface {}'),
    ('%v %d %s', [None, None, None], '<nil> %!d(<nil>) %!s(<nil>)'),
    ('%q|%5s|%-5s|%x|%X|%t', ['q', 'r', 'l', 'hi', 'hi', True], '"q"|    r|l    |6869|6869|true'),
    ('%05s|%.2s|%10.3q', ['ab', 'héllo', 'abcdef'], '000ab|hé|     "abc"'),
    ('%q', ['日本\t\x01\u2028'], '"日本\\t\\x01\\u2028"'),
    ('%+q', ['日本'], '"\\u65e5\\u672c"'),
    ('%#q', ['a`b'], '"a`b"'),
    ('%#q', ['plain'], '`plain`'),
    ('% x|%#x|% #X', ['abc', 'abc', 'abc'], '61 62 63|0x616263|0X61 0X62 0X63'),
    ('%s', ['a', 'b'], 'a%!(EXTRA string=b)'),
    ('%s %s', ['a'], 'a %!s(MISSING)'),
    ('%!', [], '%!!(MISSING)'),
    ('%', [], '%!(NOVERB)'),
    ('%z', [1.0], '%!z(float64=1)'),
    ('%[2]v %[1]v', ['a', 'b'], 'b a'),
    ('%[3]v', ['a'], '%!v(BADINDEX)'),
    ('%[2]*[1]v|', ['x', 5.0], '%!(BADWIDTH)x|'),
    ('%*v|', [5.0, 'x'], '%!(BADWIDTH)x|'),
    ('%.*v', ['x', 'y'], '%!(BADPREC)y'),
    ('%t', ['true'], '%!t(string=true)'),
    ('%5t|%-6t|', [True, False], ' true|false |'),
    ('%c', ['x'], '%!c(string=x)'),
    ('%v%%', [3.0], '3%'),
    ('%-010v|%010v', [1.5, -1.5], '1.5       |-0000001.5'),
    ('%+v|% v', [1.5, 1.5], '1.5| 1.5'),
    ('%x|%X|%o|%b', [255.0, 255.0, 8.0, 5.0], '0x1.fep+07|0X1.FEP+07|%!o(float64=8)|5629499534213120p-50'),
]


@pytest.mark.parametrize(("fmt", "args", "expected"), SPRINTF_FROM_GO, ids=[c[0] for c in SPRINTF_FROM_GO])
def test_sprintf_matches_go(fmt, args, expected):
    assert sprintf(fmt, *args) == expected


# Integer operands (template int constants); outputs from Go's fmt.
INT_CASES = [
    ("%d|%5d|%-5d|%05d|%+d|% d", [42, 42, 42, -42, 42, 42], "42|   42|42   |-0042|+42| 42"),
    ("%x|%X|%#x|%o|%#o|%O|%b", [255, 255, 255, 8, 8, 8, 5], "ff|FF|0xff|10|010|0o10|101"),
    ("%c|%q|%U|%#U", [65, 65, 0x1F600, 0x1F600], "A|'A'|U+1F600|U+1F600 '😀'"),
    ("%.0d|%.3d|%8.3d", [0, 7, -7], "|007|    -007"),
    ("%v|%T", [-1, 1], "-1|int"),
    ("%+q", [-1], "'\\ufffd'"),
    ("%s", [5], "%!s(int=5)"),
]


@pytest.mark.parametrize(("fmt", "args", "expected"), INT_CASES, ids=[c[0] for c in INT_CASES])
def test_sprintf_ints(fmt, args, expected):
    assert sprintf(fmt, *args) == expected


def test_sprint_spacing_follows_go():
    # Spaces are added between operands when neither is a string.
    assert sprint("a", 1, 2, "b", "c", 3.0, None) == "a1 2bc3 <nil>"
    assert sprint(1.0, 2.5) == "1 2.5"
    assert sprint() == ""


def test_sprintln_always_spaces_and_newline():
    assert sprintln("a", 1, None) == "a 1 <nil>\n"
    assert sprintln() == "\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1e6, "1e+06"), (999999.0, "999999"), (1e20, "1e+20"), (0.0001, "0.0001"), (0.00001, "1e-05"), (15020.0, "15020"), (float("inf"), "+Inf"), (float("nan"), "NaN")],
)
def test_format_float_shortest_g(value, expected):
    assert format_float(value, "g", -1) == expected


def test_quote_string_is_strconv_quote():
    assert quote_string('a"b\\\n\t\x00é') == '"a\\"b\\\\\\n\\t\\x00é"'
