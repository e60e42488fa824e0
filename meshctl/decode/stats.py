"""Envoy's `/stats` answers -> {stat name: value} (pure).

``/stats?format=json`` is ``{"stats": [{"name": n, "value": v}, ..., {"histograms": {...}}]}``;
plain ``/stats`` is one ``name: value`` line per stat (histograms as ``name: P0(...) ...``).
Counters and gauges are integers, text readouts strings; histograms are left out.
"""

from __future__ import annotations

from meshctl.errors import DecodeError


def parse_stats(data: bytes, what: str = "Envoy /stats") -> dict[str, int | str]:
    """Counters, gauges and text readouts by full name, from either form."""
    stripped = data.lstrip()
    if stripped.startswith(b"{"):
        return _from_json(data, what)
    stats: dict[str, int | str] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(": ")
        if not sep:
            if line.strip():
                raise DecodeError(f"{what} is not Envoy's stats (line {line.strip()[:120]!r})")
            continue
        if value.startswith('"') and value.endswith('"'):
            stats[name] = value[1:-1]
        elif value.lstrip("-").isdigit():
            stats[name] = int(value)
        # else: a histogram summary (P0(...)), not a number
    return stats


def _from_json(data: bytes, what: str) -> dict[str, int | str]:
    import orjson

    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"{what} is not valid JSON: {exc}") from None
    entries = document.get("stats") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise DecodeError(f'{what} is not Envoy\'s stats JSON (no "stats" list)')
    stats: dict[str, int | str] = {}
    for entry in entries:
        if isinstance(entry, dict) and "name" in entry:
            value = entry.get("value")
            stats[str(entry["name"])] = value if isinstance(value, (int, str)) and not isinstance(value, bool) else 0
    return stats
