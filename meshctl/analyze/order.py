"""Row order exactly as istioctl's: istioctl's sort keys, and Go's `sort.Slice` (pdqsort) to apply them.

`sort.Slice` is not stable and some of istioctl's less functions are not strict weak orders (the
route one treats every non-numeric name as "not less"). Equal or incomparable rows therefore end
up where Go's algorithm puts them, so a stable Python sort would differ on larger inputs. This is
a port of Go's pdqsort_func (src/sort/zsortfunc.go, Go >= 1.19); it is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from meshctl.analyze.envoy import listener_address, listener_port, listener_type, parse_subset_key, strict_atoi
from meshctl.model.views import ClusterView, EcdsView, EndpointView, ListenerView, RouteView

T = TypeVar("T")
_MASK64 = (1 << 64) - 1
# src/sort/sort.go xorshift.Next, which breakPatterns draws from, shifts by (13, 7, 17) in current Go
# (1.26.6 checked), the Go that builds istioctl; Go 1.19 (Debian bookworm's) shifted by (13, 17, 5).
# The rest of pdqsort (zsortfunc.go) is the same in both. tests/pc/test_gosort.py checks both
# against orders that real Go produced.
XORSHIFT = (13, 7, 17)
XORSHIFT_GO_1_19 = (13, 17, 5)


def go_sort_slice(items: list[T], less: Callable[[T, T], bool], *, xorshift: tuple[int, int, int] = XORSHIFT) -> list[T]:
    """Sort `items` in place as Go's `sort.Slice(items, less)` does, and return it."""
    _GoSort(items, less, xorshift).pdqsort(0, len(items), len(items).bit_length())
    return items


def go_sort_by_key(items: list[T], key: Callable[[T], object]) -> list[T]:
    """`go_sort_slice` with `less = key(a) < key(b)` (keys computed once; keys must be hashable)."""
    keyed = [(key(item), item) for item in items]
    if len({k for k, _ in keyed}) == len(keyed):
        # No ties: every correct sort gives Go's result, and Python's is ~50x faster.
        keyed.sort(key=lambda pair: pair[0])
    else:
        go_sort_slice(keyed, lambda a, b: a[0] < b[0])
    items[:] = [item for _, item in keyed]
    return items


# ---- istioctl's orders ------------------------------------------------------------------------


def cluster_key(name: str) -> tuple[str, str, int, str]:
    """cluster.go safelyParseSubsetKey, as the sort key istioctl uses: (fqdn, subset, port, direction)."""
    if name.count("|") > 2:
        direction, subset, fqdn, port = parse_subset_key(name)
        return fqdn, subset, port, direction
    return name, "", 0, ""


def sort_clusters(views: Iterable[ClusterView]) -> list[ClusterView]:
    """Clusters in istioctl's order (cluster.go retrieveSortedClusterSlice)."""
    return go_sort_by_key(list(views), lambda view: cluster_key(view.name))


def _listener_less(a: ListenerView, b: ListenerView) -> bool:
    # listener.go PrintListenerSummary: port, address, type (internal listeners have port 0 and no
    # address there; only PrintRemoteListenerSummary orders them by name).
    a_port, b_port = listener_port(a.raw), listener_port(b.raw)
    if a_port != b_port:
        return a_port < b_port
    a_address, b_address = listener_address(a.raw), listener_address(b.raw)
    if a_address != b_address:
        return a_address < b_address
    return listener_type(a.raw) < listener_type(b.raw)


def sort_listeners(views: Iterable[ListenerView]) -> list[ListenerView]:
    """Listeners in istioctl's order (listener.go PrintListenerSummary)."""
    return go_sort_slice(list(views), _listener_less)


def _route_less(a: RouteView, b: RouteView) -> bool:
    # route.go retrieveSortedRouteSlice: numeric names ascending; any non-numeric name is "not less".
    a_number, b_number = strict_atoi(a.name), strict_atoi(b.name)
    if a_number is None or b_number is None:
        return False
    return a_number < b_number


def sort_routes(views: Iterable[RouteView]) -> list[RouteView]:
    """Route configurations in istioctl's order (route.go retrieveSortedRouteSlice); istioctl sorts
    all of them and filters while printing, and with its less function the two orders differ."""
    return go_sort_slice(list(views), _route_less)


def sort_load_assignments(assignments: list[dict]) -> list[dict]:
    """configdump/endpoint.go: ClusterLoadAssignments in the cluster order (fqdn, subset, port, direction)."""
    return go_sort_by_key(list(assignments), lambda cla: cluster_key(str(cla.get("cluster_name", ""))))


def sort_host_endpoints(endpoints: Iterable[EndpointView]) -> list[EndpointView]:
    """clusters.go retrieveSortedEndpointClusterSlice: by address, port, cluster."""
    return go_sort_by_key(list(endpoints), lambda ep: (ep.address, ep.port, ep.cluster))


def sort_ecds(views: Iterable[EcdsView]) -> list[EcdsView]:
    """ecds.go: by typed_config type URL, then name."""
    return go_sort_by_key(list(views), lambda view: (view.type_url, view.name))


# ---- Go's sort.Slice ---------------------------------------------------------------------------


class _GoSort:
    def __init__(self, data: list, less: Callable, xorshift: tuple[int, int, int]) -> None:
        self.data = data
        self._less = less
        self._shifts = xorshift

    def less(self, i: int, j: int) -> bool:
        return self._less(self.data[i], self.data[j])

    def swap(self, i: int, j: int) -> None:
        data = self.data
        data[i], data[j] = data[j], data[i]

    def insertion_sort(self, a: int, b: int) -> None:
        for i in range(a + 1, b):
            j = i
            while j > a and self.less(j, j - 1):
                self.swap(j, j - 1)
                j -= 1

    def sift_down(self, lo: int, hi: int, first: int) -> None:
        root = lo
        while True:
            child = 2 * root + 1
            if child >= hi:
                return
            if child + 1 < hi and self.less(first + child, first + child + 1):
                child += 1
            if not self.less(first + root, first + child):
                return
            self.swap(first + root, first + child)
            root = child

    def heap_sort(self, a: int, b: int) -> None:
        first, lo, hi = a, 0, b - a
        for i in range((hi - 1) // 2, -1, -1):
            self.sift_down(i, hi, first)
        for i in range(hi - 1, -1, -1):
            self.swap(first, first + i)
            self.sift_down(lo, i, first)

    def pdqsort(self, a: int, b: int, limit: int) -> None:
        was_balanced = was_partitioned = True
        while True:
            length = b - a
            if length <= 12:
                self.insertion_sort(a, b)
                return
            if limit == 0:
                self.heap_sort(a, b)
                return
            if not was_balanced:
                self.break_patterns(a, b)
                limit -= 1
            pivot, hint = self.choose_pivot(a, b)
            if hint == "decreasing":
                self.reverse_range(a, b)
                pivot = (b - 1) - (pivot - a)
                hint = "increasing"
            if was_balanced and was_partitioned and hint == "increasing":
                if self.partial_insertion_sort(a, b):
                    return
            if a > 0 and not self.less(a - 1, pivot):
                a = self.partition_equal(a, b, pivot)
                continue
            mid, was_partitioned = self.partition(a, b, pivot)
            left_len, right_len = mid - a, b - mid
            balance_threshold = length // 8
            if left_len < right_len:
                was_balanced = left_len >= balance_threshold
                self.pdqsort(a, mid, limit)
                a = mid + 1
            else:
                was_balanced = right_len >= balance_threshold
                self.pdqsort(mid + 1, b, limit)
                b = mid

    def partition(self, a: int, b: int, pivot: int) -> tuple[int, bool]:
        self.swap(a, pivot)
        i, j = a + 1, b - 1
        while i <= j and self.less(i, a):
            i += 1
        while i <= j and not self.less(j, a):
            j -= 1
        if i > j:
            self.swap(j, a)
            return j, True
        self.swap(i, j)
        i += 1
        j -= 1
        while True:
            while i <= j and self.less(i, a):
                i += 1
            while i <= j and not self.less(j, a):
                j -= 1
            if i > j:
                break
            self.swap(i, j)
            i += 1
            j -= 1
        self.swap(j, a)
        return j, False

    def partition_equal(self, a: int, b: int, pivot: int) -> int:
        self.swap(a, pivot)
        i, j = a + 1, b - 1
        while True:
            while i <= j and not self.less(a, i):
                i += 1
            while i <= j and self.less(a, j):
                j -= 1
            if i > j:
                break
            self.swap(i, j)
            i += 1
            j -= 1
        return i

    def partial_insertion_sort(self, a: int, b: int) -> bool:
        max_steps, shortest_shifting = 5, 50
        i = a + 1
        for _ in range(max_steps):
            while i < b and not self.less(i, i - 1):
                i += 1
            if i == b:
                return True
            if b - a < shortest_shifting:
                return False
            self.swap(i, i - 1)
            if i - a >= 2:
                for j in range(i - 1, 0, -1):
                    if not self.less(j, j - 1):
                        break
                    self.swap(j, j - 1)
            if b - i >= 2:
                for j in range(i + 1, b):
                    if not self.less(j, j - 1):
                        break
                    self.swap(j, j - 1)
        return False

    def break_patterns(self, a: int, b: int) -> None:
        length = b - a
        if length >= 8:
            random = length
            modulus = 1 << length.bit_length()
            middle = a + (length // 4) * 2
            left, right, last = self._shifts
            for idx in range(middle - 1, middle + 2):  # the three around the middle, as Go swaps them
                random ^= (random << left) & _MASK64
                random ^= random >> right
                random ^= (random << last) & _MASK64
                other = random & (modulus - 1)
                if other >= length:
                    other -= length
                self.swap(idx, a + other)

    def choose_pivot(self, a: int, b: int) -> tuple[int, str]:
        length = b - a
        swaps = [0]
        i, j, k = a + length // 4, a + length // 4 * 2, a + length // 4 * 3
        if length >= 8:
            if length >= 50:
                i = self.median(i - 1, i, i + 1, swaps)
                j = self.median(j - 1, j, j + 1, swaps)
                k = self.median(k - 1, k, k + 1, swaps)
            j = self.median(i, j, k, swaps)
        if swaps[0] == 0:
            return j, "increasing"
        if swaps[0] == 12:
            return j, "decreasing"
        return j, "unknown"

    def order2(self, a: int, b: int, swaps: list[int]) -> tuple[int, int]:
        if self.less(b, a):
            swaps[0] += 1
            return b, a
        return a, b

    def median(self, a: int, b: int, c: int, swaps: list[int]) -> int:
        a, b = self.order2(a, b, swaps)
        b, c = self.order2(b, c, swaps)
        a, b = self.order2(a, b, swaps)
        return b

    def reverse_range(self, a: int, b: int) -> None:
        i, j = a, b - 1
        while i < j:
            self.swap(i, j)
            i += 1
            j -= 1
