"""meshctl's port of Go's sort.Slice against orders real Go produced (tests/fixtures/gosort).

sort.Slice is not stable and istioctl's route comparison is not even a strict weak order, so rows
that compare equal come out where Go's pdqsort leaves them; only Go itself can say where. The
fixtures hold inputs with many ties (13 to 3000 items, random, few distinct, sorted, reversed,
nearly sorted, sawtooth, all equal) and the order sort.Slice gave them under istioctl's less
functions, written by gen.go beside them with two Go versions (their versions and the command are
in each file). meshctl's own comparisons and sort entry points must reproduce those orders.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest

from meshctl.analyze.order import (
    XORSHIFT_GO_1_19,
    _listener_less,
    _route_less,
    cluster_key,
    go_sort_slice,
    sort_clusters,
    sort_listeners,
    sort_routes,
)
from meshctl.analyze.summaries import listener_table
from meshctl.model.views import ACTIVE, ClusterView, ListenerView, RouteView

FIXTURES = Path(__file__).parent.parent / "fixtures" / "gosort"
CURRENT_GO, DEBIAN_GO = "go1.26.6.json", "go1.19.8.json"
KINDS = ("route", "cluster", "listener", "chain")


@lru_cache(maxsize=None)
def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def _listener_raw(listener: dict) -> dict:
    """An Envoy listener that istioctl's comparison reads as `listener` (port, address, type)."""
    filters = {"HTTP": ["envoy.filters.network.http_connection_manager"], "TCP": ["envoy.filters.network.tcp_proxy"],
               "HTTP+TCP": ["envoy.filters.network.http_connection_manager", "envoy.filters.network.tcp_proxy"]}  # fmt: skip
    raw = {"name": listener["name"], "filter_chains": [{"filters": [{"name": f} for f in filters[listener["type"]]]}]}
    if listener["internal"]:
        raw["internal_listener"] = {}
    elif listener["address"] or listener["port"]:
        raw["address"] = {"socket_address": {"address": listener["address"], "port_value": listener["port"]}}
    return raw


def _chain(destination: str, position: int) -> dict:
    """A filter chain whose DESTINATION cell is `destination`; its MATCH cell names `position`."""
    cluster = destination.removeprefix("Cluster: ")
    return {"filter_chain_match": {"destination_port": position},
            "filters": [{"name": "envoy.filters.network.tcp_proxy", "typed_config": {"cluster": cluster}}]}  # fmt: skip


def _views(kind: str, vocab: list, items: list[int]) -> list:
    if kind == "route":
        return [RouteView(vocab[item], ACTIVE, {"position": p}) for p, item in enumerate(items)]
    if kind == "cluster":
        return [ClusterView(vocab[item], ACTIVE, {"position": p}) for p, item in enumerate(items)]
    return [ListenerView(vocab[item]["name"], ACTIVE, {**_listener_raw(vocab[item]), "position": p}) for p, item in enumerate(items)]


def meshctl_order(kind: str, vocab: list, items: list[int]) -> list[int]:
    """The positions of `items` in the order meshctl's table code sorts them."""
    if kind == "chain":
        listener = {"name": "l", "filter_chains": [_chain(vocab[item], p) for p, item in enumerate(items)]}
        rows = listener_table([ListenerView("l", ACTIVE, listener)]).rows
        return [int(match.removeprefix("Addr: *:")) for _, _, match, _ in rows]
    ordered = {"route": sort_routes, "cluster": sort_clusters, "listener": sort_listeners}[kind](_views(kind, vocab, items))
    return [view.raw["position"] for view in ordered]


def _less(kind: str):
    """meshctl's comparison for `kind`, as a less function over its views (chains: destinations)."""
    if kind == "route":
        return _route_less
    if kind == "listener":
        return _listener_less
    if kind == "cluster":
        return lambda a, b: cluster_key(a.name) < cluster_key(b.name)
    return lambda a, b: a > b  # listener_table's order of filter chains: destination, descending


def _cases(name: str) -> list:
    data = fixture(name)
    return [pytest.param(name, i, id=f"{c['less']}-{c['pattern']}-{len(c['items'])}") for i, c in enumerate(data["cases"])]


def test_fixtures_come_from_real_go_and_exercise_every_path():
    current, debian = fixture(CURRENT_GO), fixture(DEBIAN_GO)
    assert (current["go_version"], debian["go_version"]) == ("go1.26.6", "go1.19.8")
    assert current["command"] == debian["command"] and "go run gen.go" in current["command"]
    assert current["vocab"] == debian["vocab"] and [c["items"] for c in current["cases"]] == [c["items"] for c in debian["cases"]]
    cases = current["cases"]
    assert {c["less"] for c in cases} == set(KINDS)
    for kind in KINDS:
        lengths = [len(c["items"]) for c in cases if c["less"] == kind]
        assert min(lengths) > 12 and max(lengths) >= 3000  # beyond insertion sort, up to thousands
        # ties: some input holds one vocabulary entry more than once
        assert any(len(set(c["items"])) < len(c["items"]) for c in cases if c["less"] == kind)
    # The two Go versions differ only in breakPatterns' random swaps: cases where their orders
    # differ prove that path runs, so a mistake there fails below.
    assert sum(a["order"] != b["order"] for a, b in zip(cases, debian["cases"])) >= 20


@pytest.mark.parametrize(("name", "index"), _cases(CURRENT_GO))
def test_tables_sort_as_current_go_sorts(name, index):
    data = fixture(name)
    case = data["cases"][index]
    assert meshctl_order(case["less"], data["vocab"][case["less"]], case["items"]) == case["order"]


@pytest.mark.parametrize(("name", "index"), _cases(DEBIAN_GO))
def test_go_sort_slice_with_go_1_19s_xorshift_sorts_as_go_1_19(name, index):
    data = fixture(name)
    case = data["cases"][index]
    kind, vocab = case["less"], data["vocab"][case["less"]]
    items = [vocab[item] for item in case["items"]] if kind == "chain" else _views(kind, vocab, case["items"])
    less = _less(kind)
    positions = go_sort_slice(list(range(len(items))), lambda a, b: less(items[a], items[b]), xorshift=XORSHIFT_GO_1_19)
    assert positions == case["order"]


# ---- every path of pdqsort (tests/fixtures/gosort/paths) -------------------------------------------

PATHS = FIXTURES / "paths" / "go1.19.8.json"


def _adversary_less(n: int):
    """McIlroy's killer adversary over element identities, as paths/gen.go's `adversary.less`."""
    gas, value, state = n, [n] * n, {"solid": 0, "candidate": -1}

    def less(x: int, y: int) -> bool:
        if value[x] == gas and value[y] == gas:
            value[x if x == state["candidate"] else y] = state["solid"]
            state["solid"] += 1
        if value[x] == gas:
            state["candidate"] = x
        elif value[y] == gas:
            state["candidate"] = y
        return value[x] < value[y]

    return less


def _coin_less(percent: int):
    """paths/gen.go's `coin.less`: true with probability percent/100 from a seeded 64-bit LCG, whatever it compares."""
    state = [20]

    def less(x: int, y: int) -> bool:
        state[0] = (state[0] * 6364136223846793005 + 1442695040888963407) & ((1 << 64) - 1)
        return (state[0] >> 33) % 100 < percent

    return less


def _mixed_less(percent: int, seed: int):
    """paths/gen.go's `coin.mixedLess`: the LCG's next state mixed with the identities of the two elements compared."""
    state, mask = [seed], (1 << 64) - 1

    def less(x: int, y: int) -> bool:
        state[0] = (state[0] * 6364136223846793005 + 1442695040888963407) & mask
        mixed = state[0] ^ ((x * 0x9E3779B97F4A7C15) & mask) ^ ((y * 0xC2B2AE3D27D4EB4F) & mask)
        return (mixed >> 33) % 100 < percent

    return less


def _path_cases() -> list:
    data = fixture(str(PATHS.relative_to(FIXTURES)))
    return [pytest.param(case, id=f"{case['kind']}-{case['pattern']}-{case['n']}") for case in data["cases"]]


def test_path_fixtures_come_from_real_go():
    data = fixture(str(PATHS.relative_to(FIXTURES)))
    assert data["go_version"] == "go1.19.8" and "go run gen.go" in data["command"]
    assert {case["kind"] for case in data["cases"]} == {"keys", "adversary", "coin", "mixed"}


@pytest.mark.parametrize("case", _path_cases())
def test_go_sort_slice_compares_and_orders_as_go_on_every_path(case):
    """Same order and same number of comparisons as Go's sort.Slice, on inputs that reach the
    reversal of descending runs, the partial insertion sort's shifts, breakPatterns, the equal-pivot
    partition and the heapsort fall-back (the coin, mixed and adversary less functions answer by
    call count, the pair compared or history, so any comparison made differently changes the order)."""
    calls = [0]
    if case["kind"] == "keys":
        keys = case["keys"]
        compare = lambda a, b: keys[a] < keys[b]  # noqa: E731
    elif case["kind"] == "adversary":
        compare = _adversary_less(case["n"])
    elif case["kind"] == "coin":
        compare = _coin_less(case["percent"])
    else:
        compare = _mixed_less(case["percent"], case["seed"])

    def less(a: int, b: int) -> bool:
        calls[0] += 1
        return compare(a, b)

    order = go_sort_slice(list(range(case["n"])), less, xorshift=XORSHIFT_GO_1_19)
    assert (order, calls[0]) == (case["order"], case["comparisons"])
