"""sprig's date.go: time.Time values, Go's reference-time layouts, durations."""

from __future__ import annotations

import datetime
import math
import re
from decimal import Decimal

from meshctl.gotemplate.params import FuncError, arg_str, iface, type_error
from meshctl.gotemplate.typed import OpaqueStruct

from .numeric import parse_go_int, wrap64


def duration_string(nanos: int) -> str:
    """Go time.Duration.String(): 1h2m3.5s, 1.5ms, 0s."""
    if nanos == 0:
        return "0s"
    neg, u = nanos < 0, abs(nanos)
    if u < 1_000_000_000:
        for unit, size in (("ns", 1), ("µs", 1_000), ("ms", 1_000_000)):
            if u < size * 1000:
                whole, frac = divmod(u, size)
                text = str(whole) + (("." + f"{frac:0{len(str(size)) - 1}d}".rstrip("0")) if frac else "")
                return ("-" if neg else "") + text + unit
    secs, frac = divmod(u, 1_000_000_000)
    text = str(secs % 60) + (("." + f"{frac:09d}".rstrip("0")) if frac else "") + "s"
    mins = secs // 60
    if mins:
        text = f"{mins % 60}m" + text
        if mins >= 60:
            text = f"{mins // 60}h" + text
    return ("-" if neg else "") + text


def duration(sec):
    # sprig date.go: only string and int64 are read; a Go `int` (Python int) counts too here.
    sec = iface(sec)
    if isinstance(sec, str):
        n = parse_go_int(sec, 10) or 0
    elif isinstance(sec, int) and not isinstance(sec, bool):
        n = sec
    else:
        n = 0
    return duration_string(wrap64(n * 1_000_000_000))


_DURATION_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


_DURATION_RE = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(s: str) -> int | None:
    """Go time.ParseDuration -> nanoseconds, or None when invalid."""
    body = s.lstrip("+-")
    neg = s.startswith("-")
    if body == "0":
        return 0
    if not body:
        return None
    total, pos = Decimal(0), 0
    while pos < len(body):
        m = _DURATION_RE.match(body, pos)
        if not m or m.group(1) in ("", "."):
            return None
        total += Decimal(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    return -int(total) if neg else int(total)


def duration_round(d):
    d = iface(d)
    if isinstance(d, str):
        nanos = parse_duration(d) or 0
    elif isinstance(d, int) and not isinstance(d, bool):
        nanos = d
    elif isinstance(d, GoTime):
        nanos = int((datetime.datetime.now(UTC) - d.dt).total_seconds() * 10**9)
    else:
        nanos = 0
    u = abs(nanos)
    hour = 3600 * 10**9
    for size, unit in ((hour * 24 * 365, "y"), (hour * 24 * 30, "mo"), (hour * 24, "d"), (hour, "h"), (60 * 10**9, "m"), (10**9, "s")):
        if u > size:
            return f"{u // size}{unit}"
    return "0s"


UTC = datetime.timezone.utc


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


# time/format.go nextStdChunk, longest first within each leading character.
_LAYOUT_RE = re.compile(
    r"January|Jan|Monday|Mon|MST|01|02|03|04|05|06|002|15|1|2006|2|__2|_2|3|4|5|PM|pm"
    r"|-07:00:00|-070000|-07:00|-0700|-07|Z07:00:00|Z070000|Z07:00|Z0700|Z07|[.,](?:0+|9+)(?![0-9])"
)


class GoTime(OpaqueStruct):
    """A Go time.Time (microsecond precision); prints as time.Time.String()."""

    go_type = "time.Time"
    __slots__ = ("dt",)
    _METHODS = frozenset({"String", "Format", "Unix", "UTC", "Local", "Year", "YearDay", "Day", "Hour", "Minute",
                          "Second", "Nanosecond", "IsZero"})

    def __init__(self, dt: datetime.datetime):
        self.dt = dt

    def to_plain(self) -> str:
        return self.Format("2006-01-02T15:04:05.999999999Z07:00")  # also time.Time.MarshalJSON

    def __eq__(self, other) -> bool:
        return isinstance(other, GoTime) and self.dt == other.dt

    __hash__ = None

    def String(self) -> str:  # noqa: N802 - Go method names are what templates call
        return self.Format("2006-01-02 15:04:05.999999999 -0700 MST")

    def Format(self, layout) -> str:  # noqa: N802
        return go_time_format(self.dt, arg_str(layout))

    def Unix(self) -> int:  # noqa: N802
        return math.floor((self.dt - _EPOCH).total_seconds())

    def UTC(self) -> GoTime:  # noqa: N802
        return GoTime(self.dt.astimezone(UTC))

    def Local(self) -> GoTime:  # noqa: N802
        return GoTime(self.dt.astimezone())

    def Year(self) -> int:  # noqa: N802
        return self.dt.year

    def YearDay(self) -> int:  # noqa: N802
        return self.dt.timetuple().tm_yday

    def Day(self) -> int:  # noqa: N802
        return self.dt.day

    def Hour(self) -> int:  # noqa: N802
        return self.dt.hour

    def Minute(self) -> int:  # noqa: N802
        return self.dt.minute

    def Second(self) -> int:  # noqa: N802
        return self.dt.second

    def Nanosecond(self) -> int:  # noqa: N802
        return self.dt.microsecond * 1000

    def IsZero(self) -> bool:  # noqa: N802
        return self.dt == _ZERO_TIME.dt


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)


_ZERO_TIME = GoTime(datetime.datetime(1, 1, 1, tzinfo=UTC))


def _zone_name(dt: datetime.datetime) -> str:
    name = dt.tzname() or ""
    # Go prints a zone without an abbreviation as its offset ("+0530").
    return name if name and not name.startswith(("UTC+", "UTC-")) else ("UTC" if not dt.utcoffset() else "")


def _offset(dt: datetime.datetime, chunk: str) -> str:
    secs = int(dt.utcoffset().total_seconds()) if dt.utcoffset() else 0
    if chunk.startswith("Z") and secs == 0:
        return "Z"
    sign = "-" if secs < 0 else "+"
    hh, rest = divmod(abs(secs), 3600)
    mm, ss = divmod(rest, 60)
    body = chunk.lstrip("Z-")
    if body == "07":
        return f"{sign}{hh:02d}"
    if body in ("0700", "07:00"):
        sep = ":" if ":" in body else ""
        return f"{sign}{hh:02d}{sep}{mm:02d}"
    sep = ":" if ":" in body else ""
    return f"{sign}{hh:02d}{sep}{mm:02d}{sep}{ss:02d}"


def go_time_format(dt: datetime.datetime, layout: str) -> str:
    """time.Time.Format(layout) for an aware datetime."""
    def chunk(m: re.Match) -> str:
        c = m.group()
        if c[0] in ".," and c[1] in "09":
            digits = f"{dt.microsecond:06d}000"[: len(c) - 1]
            if c[1] == "9":
                digits = digits.rstrip("0")
                return c[0] + digits if digits else ""
            return c[0] + digits
        if c == "MST":
            return _zone_name(dt) or _offset(dt, "-0700")
        if c[0] in "-Z" and c not in ("-", "Z"):
            return _offset(dt, c)
        hour12 = dt.hour % 12 or 12
        return {
            "January": _MONTHS[dt.month - 1], "Jan": _MONTHS[dt.month - 1][:3],
            "Monday": _DAYS[dt.weekday()], "Mon": _DAYS[dt.weekday()][:3],
            "01": f"{dt.month:02d}", "1": str(dt.month), "02": f"{dt.day:02d}", "2": str(dt.day), "_2": f"{dt.day:2d}",
            "002": f"{dt.timetuple().tm_yday:03d}", "__2": f"{dt.timetuple().tm_yday:3d}",
            "15": f"{dt.hour:02d}", "03": f"{hour12:02d}", "3": str(hour12),
            "04": f"{dt.minute:02d}", "4": str(dt.minute), "05": f"{dt.second:02d}", "5": str(dt.second),
            "2006": f"{dt.year:04d}", "06": f"{dt.year % 100:02d}",
            "PM": "PM" if dt.hour >= 12 else "AM", "pm": "pm" if dt.hour >= 12 else "am",
        }[c]

    return _LAYOUT_RE.sub(chunk, layout)


_PARSE_PATTERNS = {
    "January": "(?P<month_name>" + "|".join(_MONTHS) + ")", "Jan": "(?P<month_abbr>" + "|".join(m[:3] for m in _MONTHS) + ")",
    "Monday": "(?:" + "|".join(_DAYS) + ")", "Mon": "(?:" + "|".join(d[:3] for d in _DAYS) + ")",
    "01": r"(?P<month>\d{2})", "1": r"(?P<month>\d{1,2})", "02": r"(?P<day>\d{2})", "2": r"(?P<day>\d{1,2})",
    "_2": r" ?(?P<day>\d{1,2})", "15": r"(?P<hour>\d{1,2})", "03": r"(?P<hour12>\d{2})", "3": r"(?P<hour12>\d{1,2})",
    "04": r"(?P<minute>\d{2})", "4": r"(?P<minute>\d{1,2})", "05": r"(?P<second>\d{2})", "5": r"(?P<second>\d{1,2})",
    "2006": r"(?P<year>\d{4})", "06": r"(?P<year2>\d{2})", "PM": "(?P<ampm>AM|PM)", "pm": "(?P<ampm>am|pm)",
    "MST": r"(?P<zone>[A-Z]{3,5}|[+-]\d{4})",
}


def go_time_parse(layout: str, value: str, loc) -> datetime.datetime:
    """time.ParseInLocation for the common layout elements; ValueError with Go's message otherwise."""
    parts, pos = [], 0
    for m in _LAYOUT_RE.finditer(layout):
        parts.append(re.escape(layout[pos : m.start()]))
        c = m.group()
        if c[0] in ".," and c[1] in "09":
            parts.append(r"(?:[.,](?P<frac>\d+))?" if c[1] == "9" else rf"[.,](?P<frac>\d{{{len(c) - 1}}})")
        elif c[0] in "-Z" and c not in ("-", "Z"):
            parts.append(r"(?P<offset>Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)")
        else:
            parts.append(_PARSE_PATTERNS[c])
            if c in ("05", "5") and not re.match(r"[.,][09]", layout[m.end() : m.end() + 2]):
                # Go accepts a fractional second after the seconds even when the layout has none.
                parts.append(r"(?:[.,](?P<frac_implicit>\d+))?")
        pos = m.end()
    parts.append(re.escape(layout[pos:]))
    try:
        m = re.fullmatch("".join(parts), value)
    except re.error:  # a layout element used twice
        m = None
    if m is None:
        raise ValueError(f'parsing time "{value}" as "{layout}": cannot parse "{value}" as "{layout}"')
    g = {k: v for k, v in m.groupdict().items() if v is not None}
    year = int(g["year"]) if "year" in g else (int(g["year2"]) + (1900 if int(g["year2"]) >= 69 else 2000) if "year2" in g else 0)
    month = int(g["month"]) if "month" in g else 1
    if "month_name" in g:
        month = _MONTHS.index(g["month_name"]) + 1
    if "month_abbr" in g:
        month = [x[:3] for x in _MONTHS].index(g["month_abbr"]) + 1
    hour = int(g.get("hour", 0))
    if "hour12" in g:
        hour = int(g["hour12"]) % 12 + (12 if g.get("ampm", "").lower() == "pm" else 0)
    micro = int((g.get("frac", g.get("frac_implicit", "")) + "000000")[:6])
    tz = loc
    if "offset" in g:
        off = g["offset"]
        if off == "Z":
            tz = UTC
        else:
            digits = off[1:].replace(":", "").ljust(6, "0")
            delta = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]), seconds=int(digits[4:6]))
            tz = datetime.timezone(-delta if off[0] == "-" else delta)
    elif g.get("zone") == "UTC":
        tz = UTC
    try:
        return datetime.datetime(max(year, 1), month, int(g.get("day", 1)), hour, int(g.get("minute", 0)),
                                 int(g.get("second", 0)), micro, tzinfo=tz)
    except ValueError as err:
        raise ValueError(f'parsing time "{value}": {err}') from None


def _local_tz():
    return datetime.datetime.now().astimezone().tzinfo


def _load_location(zone: str):
    # time.LoadLocation: "" and "UTC" are UTC, "Local" the local zone; an unknown zone falls back to UTC in sprig.
    if zone in ("", "UTC"):
        return UTC
    if zone == "Local":
        return None
    try:
        import zoneinfo

        return zoneinfo.ZoneInfo(zone)
    except (ValueError, OSError, LookupError):
        return UTC


def _to_time(date) -> datetime.datetime:
    # sprig formatDate: time.Time, or Unix seconds as a Go int; anything else (even a float64) is time.Now().
    date = iface(date)
    if isinstance(date, GoTime):
        return date.dt
    if isinstance(date, int) and not isinstance(date, bool):
        return datetime.datetime.fromtimestamp(date, UTC)
    return datetime.datetime.now(UTC)


def date_in_zone(fmt, date, zone):
    loc = _load_location(arg_str(zone))
    return go_time_format(_to_time(date).astimezone(loc), arg_str(fmt))


def _time_arg(value) -> GoTime:
    if isinstance(value, GoTime):
        return value
    raise type_error(value, "time.Time")


def must_to_date(fmt, s):
    try:
        return GoTime(go_time_parse(arg_str(fmt), arg_str(s), _local_tz()))
    except ValueError as err:
        raise FuncError(str(err)) from None


def to_date(fmt, s):
    try:
        return must_to_date(fmt, s)
    except FuncError:
        return _ZERO_TIME


def must_date_modify(fmt, date):
    date, nanos = _time_arg(date), parse_duration(arg_str(fmt))
    if nanos is None:
        raise FuncError(f'time: invalid duration "{fmt}"')
    return GoTime(date.dt + datetime.timedelta(microseconds=nanos // 1000))


def date_modify(fmt, date):
    try:
        return must_date_modify(fmt, date)
    except FuncError:
        return date


def ago(date):
    since = datetime.datetime.now(UTC) - _to_time(date)
    return duration_string(round(since.total_seconds()) * 10**9)


def now() -> GoTime:
    """time.Now, in the local zone."""
    return GoTime(datetime.datetime.now().astimezone())


def date(fmt, date):
    return date_in_zone(fmt, date, "Local")


def html_date(date):
    return date_in_zone("2006-01-02", date, "Local")


def html_date_in_zone(date, zone):
    return date_in_zone("2006-01-02", date, zone)


def unix_epoch(date) -> str:
    return str(_time_arg(date).Unix())
