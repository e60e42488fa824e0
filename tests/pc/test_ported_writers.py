"""`pc` writers against istioctl/pkg/writer/envoy/configdump on branches the shared goldens do not
exercise. Each expected output is read off the Go; the test says which lines decide it."""

from __future__ import annotations

from meshctl.analyze.bootstrap import envoy_version, version_table
from meshctl.analyze.filters import EndpointFilter, ListenerFilter, equal_fold, select, select_endpoints
from meshctl.analyze.order import sort_listeners
from meshctl.analyze.summaries import cluster_table, ecds_table, eds_endpoint_table, listener_table, render_config
from meshctl.decode.configdump import from_object
from meshctl.decode.resources import ecds_filters, eds_endpoints, listeners
from meshctl.model.views import ACTIVE, ClusterView

ADMIN = "type.googleapis.com/envoy.admin.v3."


def dump(*configs) -> object:
    return from_object({"configs": list(configs)})


def test_dual_stack_endpoint_names_every_address_and_filters_on_each():
    """endpoint.go retrieveEndpointAddresses: the address, then each additional_addresses entry,
    as ip:port, joined with "," in NAME; Verify matches --address against any of them (EqualFold)."""
    assignment = {"cluster_name": "outbound|80||web.default.svc.cluster.local", "endpoints": [{"lb_endpoints": [
        {"endpoint": {"address": {"socket_address": {"address": "10.0.0.5", "port_value": 80}},
                      "additional_addresses": [{"address": {"socket_address": {"address": "FD00::5", "port_value": 80}}}]},
         "health_status": "HEALTHY"}]}]}  # fmt: skip
    (view,) = eds_endpoints(assignment)
    assert eds_endpoint_table([view]).rows == [["10.0.0.5:80,FD00::5:80", "HEALTHY", "", "outbound|80||web.default.svc.cluster.local"]]
    kept, _ = select_endpoints([assignment], EndpointFilter(address="fd00::5:80"))
    assert kept == [view]  # the additional address, case-insensitively
    assert select_endpoints([assignment], EndpointFilter(address="10.0.0.6:80"))[0] == []
    assert select_endpoints([assignment], EndpointFilter(status="healthy"))[0] == [view]  # EqualFold on the status name


def test_a_bare_ip_filter_matches_an_ip_port_row_in_either_case():
    view = lambda ip: eds_endpoints({"cluster_name": "c", "endpoints": [{"lb_endpoints": [  # noqa: E731
        {"endpoint": {"address": {"socket_address": {"address": ip, "port_value": 80}}}}]}]})[0]  # fmt: skip
    assert EndpointFilter(address="fd00::a").matches(view("FD00::A"))  # meshctl also takes the ip alone
    assert EndpointFilter(address="FD00::A").matches(view("fd00::a"))
    assert not EndpointFilter(address="fd00::a").matches(view("fd00::ab"))


def test_listener_sort_has_no_internal_listener_rule_and_address_filter_folds_case():
    """PrintListenerSummary sorts by port, address, type only: two internal listeners (port 0,
    address "") are left in the order the sort gives equal keys. PrintRemoteListenerSummary is
    the one that orders internal listeners by name. ListenerFilter.Verify compares addresses with
    strings.EqualFold."""
    tcp = [{"filters": [{"name": "envoy.filters.network.tcp_proxy", "typed_config": {"cluster": "outbound|80||x"}}]}]
    configs = {"@type": ADMIN + "ListenersConfigDump", "dynamic_listeners": [
        {"name": name, "active_state": {"listener": {"name": name, "internal_listener": {}, "filter_chains": tcp}}} for name in ("zz", "aa")
    ] + [{"name": "v6", "active_state": {"listener": {"name": "v6", "filter_chains": tcp,
          "address": {"socket_address": {"address": "FD00::1", "port_value": 8080}}}}}]}  # fmt: skip
    views = listeners(dump(configs))
    assert [v.name for v in sort_listeners(select(views, ListenerFilter()))] == ["zz", "aa", "v6"]
    assert [v.name for v in sort_listeners(select(views, ListenerFilter(address="fd00::1")))] == ["v6"]
    assert [v.name for v in sort_listeners(select(views, ListenerFilter(type="tcp", port=8080)))] == ["v6"]
    assert listener_table(sort_listeners(select(views, ListenerFilter(address="fd00::1"))), verbose=False).rows == [["FD00::1", "8080", "TCP"]]


def test_equal_fold_is_simple_folding():
    assert equal_fold("HEALTHY", "healthy") and equal_fold("FD00::1", "fd00::1")
    assert not equal_fold("straße", "STRASSE")  # Go folds rune by rune; ß is not "ss"


def test_equal_fold_folds_the_runes_only_one_case_maps():
    # Unicode CaseFolding.txt (what Go's SimpleFold orbits follow): KELVIN SIGN folds to k (its
    # lower case is k, its upper case itself); LATIN SMALL LETTER LONG S folds to s (its upper case is S)
    assert equal_fold("\u212a8s", "k8s") and equal_fold("k8\u017f", "K8S")
    assert not equal_fold("\u212a8s", "x8s")


def test_equal_fold_keeps_the_turkish_is_apart_and_sharp_s_together():
    # CaseFolding.txt: dotless i (U+0131) has no folding and dotted I (U+0130) only a full (F) and a Turkic (T)
    # one, so neither shares an orbit with i; CAPITAL SHARP S (U+1E9E) folds simply (S) to ß
    assert not equal_fold("\u0131stio", "istio") and not equal_fold("\u0130STIO", "istio")
    assert equal_fold("stra\u00dfe", "STRA\u1e9eE") and equal_fold("\u03a3\u03c2", "\u03c3\u03c3")  # Σς ~ σσ


def test_destination_rule_column_for_paths_under_the_networking_prefix():
    """route.go renderConfig: any path under /apis/networking.istio.io/ with exactly 8 pieces is
    pieces[7].pieces[5]; another length is ""; another prefix is "<unknown>"."""
    assert render_config("/apis/networking.istio.io/v1/namespaces/shop/destination-rule/cart") == "cart.shop"
    assert render_config("/apis/networking.istio.io/v1/elsewhere/shop/destination-rule/cart") == "cart.shop"
    assert render_config("/apis/networking.istio.io/v1/namespaces/shop") == ""
    assert render_config("/apis/security.istio.io/v1/namespaces/shop/x/y") == "<unknown>"
    cluster = {"name": "outbound|80||cart.shop.svc.cluster.local", "type": "EDS",
               "metadata": {"filter_metadata": {"istio": {"config": "/apis/networking.istio.io/v1/elsewhere/shop/destination-rule/cart"}}}}  # fmt: skip
    assert cluster_table([ClusterView(cluster["name"], ACTIVE, cluster)]).rows == [["cart.shop.svc.cluster.local", "80", "-", "outbound", "EDS", "cart.shop"]]


def test_ecds_type_strips_only_the_googleapis_prefix():
    """ecds.go PrintEcdsSummary: strings.TrimPrefix(type URL, "type.googleapis.com/"); any other
    type URL is printed whole."""
    section = {"@type": ADMIN + "EcdsConfigDump", "ecds_filters": [
        {"ecds_filter": {"name": "a", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"}}},
        {"ecds_filter": {"name": "b", "typed_config": {"@type": "example.com/acme.Filter"}}}]}  # fmt: skip
    assert ecds_table(ecds_filters(dump(section))).rows == [["a", "envoy.extensions.filters.http.wasm.v3.Wasm"], ["b", "example.com/acme.Filter"]]


def test_envoy_version_carries_the_build_label():
    """configdump.go getUserAgentVersionInfo: major.minor.patch, "-" + build.label, then "/" +
    revision.status, build.type and ssl.version, each only when present."""
    bootstrap = {"node": {"user_agent_build_version": {"version": {"major_number": 1, "minor_number": 34, "patch": 2},
                                                       "metadata": {"build.label": "dev", "revision.status": "Clean", "ssl.version": "BoringSSL"}}}}  # fmt: skip
    assert envoy_version(bootstrap) == "1.34.2-dev/Clean/BoringSSL"
    # PrintBootstrapSummary prints "Envoy Version:" even without a build version ("0.0.0" is never empty).
    assert version_table({}).rows == [["Envoy Version:", "0.0.0"]]
