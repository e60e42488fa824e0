"""meshctl.analyze.authz: istioctl `x authz check`'s table, byte for byte, and every branch of its reader."""

from __future__ import annotations

import json

import pytest

from meshctl.analyze.authz import authz_check, authz_document, authz_table, authz_wide_table, split_policy_name
from meshctl.decode.configdump import from_object, parse
from meshctl.errors import DecodeError
from meshctl.render.text import render_tabular

from helpers import ISTIO_TESTDATA, require_shared

ISTIO_DUMP = ISTIO_TESTDATA / "istioctl/pkg/authz/testdata/configdump.yaml"
RBAC_HTTP = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC"
RBAC_TCP = "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC"
HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener"
ANY_POLICY = {"permissions": [{"any": True}], "principals": [{"any": True}]}


def table(dump) -> str:
    return render_tabular(authz_table(authz_check(dump)))


def http_rbac(config: dict | None, name: str = "envoy.filters.http.rbac", type_url: str = RBAC_HTTP) -> dict:
    return {"name": name, **({"typed_config": {"@type": type_url, **config}} if config is not None else {})}


def hcm(*http_filters, name: str = "envoy.filters.network.http_connection_manager") -> dict:
    return {"name": name, "typed_config": {"@type": HCM, "stat_prefix": "x", "http_filters": [*http_filters, {"name": "envoy.filters.http.router"}]}}


def listener(name: str, *chains: list[dict], type_url: str = LISTENER) -> dict:
    return {"@type": type_url, "name": name, "filter_chains": [{"name": f"c{i}", "filters": filters} for i, filters in enumerate(chains)]}


def dump(*listeners: dict, warming: dict | None = None, static: dict | None = None) -> object:
    entries = [{"name": item["name"], "active_state": {"version_info": "1", "listener": item}} for item in listeners]
    if warming is not None:
        entries.append({"name": warming["name"], "warming_state": {"listener": warming}})
    section = {"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump", "dynamic_listeners": entries}
    if static is not None:
        section["static_listeners"] = [{"listener": static}]
    return from_object({"configs": [section]})


def rules(action: str | int | None, *names: str) -> dict:
    body = {"policies": {name: ANY_POLICY for name in names}}
    if action is not None:
        body["action"] = action
    return body


def test_istio_configdump_table_is_istioctls():
    data = require_shared(ISTIO_DUMP).read_bytes()
    assert table(parse(data)) == (
        "ACTION   AuthorizationPolicy         RULES\n"
        "ALLOW    _anonymous_match_nothing_   1\n"
        "ALLOW    httpbin.default             1\n"
        "CUSTOM   ext-authz.default           1\n"
    )


def test_istio_configdump_wide_and_json_show_what_rules_test():
    check = authz_check(parse(require_shared(ISTIO_DUMP).read_bytes()))
    wide = render_tabular(authz_wide_table(check)).splitlines()
    assert wide[0].split() == ["ACTION", "AuthorizationPolicy", "RULES", "LISTENER[CHAINS]", "PRINCIPALS", "NAMESPACES", "PATHS", "METHODS", "PORTS"]
    httpbin = next(line.split() for line in wide if "httpbin.default" in line)
    assert httpbin[4:] == ["spiffe://cluster.local/ns/default/sa/sleep", "test", "/info*,/data", "GET,POST", "-"]
    document = authz_document(check)
    row = next(p for p in document["policies"] if p["name"] == "httpbin.default")
    assert row["action"] == "ALLOW" and row["rules"] == 1 and row["methods"] == ["GET", "POST"]
    assert list(row["envoyPolicies"]) == ["ns[default]-policy[httpbin]-rule[0]"]
    json.dumps(document)  # JSON-able


def test_order_counts_and_actions():
    item = listener("virtualInbound", [hcm(
        http_rbac({"rules": rules("DENY", "ns[foo]-policy[deny-get]-rule[0]", "ns[foo]-policy[deny-get]-rule[1]")}),
        http_rbac({"rules": rules(None, "ns[foo]-policy[b]-rule[0]", "ns[bar]-policy[a]-rule[2]")}),
        http_rbac({"rules": rules("LOG", "ns[foo]-policy[audit]-rule[0]")}),
    )])
    assert table(dump(item)) == (
        "ACTION   AuthorizationPolicy   RULES\n"
        "DENY     deny-get.foo          2\n"
        "ALLOW    a.bar                 1\n"
        "ALLOW    b.foo                 1\n"
        "LOG      audit.foo             1\n"
    )


def test_rule_count_is_per_name_across_actions_and_listeners():
    # istioctl keys policyToRule by name only: the same name under two actions shares its rules.
    one = listener("a", [hcm(http_rbac({"rules": rules("DENY", "ns[x]-policy[p]-rule[0]")}))])
    two = listener("b", [hcm(http_rbac({"rules": rules("ALLOW", "ns[x]-policy[p]-rule[1]", "ns[x]-policy[p]-rule[0]")}))])
    assert table(dump(one, two)).splitlines()[1:] == ["DENY     p.x                   2", "ALLOW    p.x                   2"]


def test_numeric_and_unknown_actions():
    item = listener("l", [hcm(
        http_rbac({"rules": rules(1, "ns[n]-policy[by-number]-rule[0]")}),
        http_rbac({"rules": rules(7, "ns[n]-policy[unknown-number]-rule[0]")}),  # Go prints "7": no row
        http_rbac({"rules": rules("NOPE", "ns[n]-policy[unknown-name]-rule[0]")}),  # dropped name -> ALLOW
    )])
    assert [line.split()[:2] for line in table(dump(item)).splitlines()[1:]] == [["DENY", "by-number.n"], ["ALLOW", "unknown-name.n"]]


def test_shadow_rules_only_ext_authz_ones_are_custom_and_empty_rules_are_anonymous():
    custom = http_rbac({"shadow_rules": rules("DENY", "istio-ext-authz-ns[d]-policy[ext]-rule[0]", "istio-ext-authz-ns[d]-policy[ext]-rule[1]"),
                        "shadow_rules_stat_prefix": "istio_ext_authz_"})
    dry_run = http_rbac({"rules": rules("DENY", "ns[d]-policy[live]-rule[0]"), "shadow_rules": rules("DENY", "ns[d]-policy[dry]-rule[0]")})
    provider = http_rbac({"shadow_rules": rules("DENY", "istio-ext-authz-opa-ns[d]-policy[by-provider]-rule[0]")})
    assert table(dump(listener("l", [hcm(custom, dry_run, provider)]))).splitlines()[1:] == [
        "DENY     live.d                      1",
        "ALLOW    _anonymous_match_nothing_   1",
        "CUSTOM   by-provider.d               1",
        "CUSTOM   ext.d                       2",
    ]


def test_network_rbac_and_untyped_and_mistyped_filters():
    tcp = {"name": "envoy.filters.network.rbac", "typed_config": {"@type": RBAC_TCP, "stat_prefix": "tcp.", **{"rules": rules("DENY", "ns[t]-policy[tcp]-rule[0]")}}}
    untyped = http_rbac(None)  # istioctl keeps an empty RBAC: ALLOW _anonymous_match_nothing_
    mistyped = http_rbac({"rules": rules("DENY", "ns[t]-policy[never]-rule[0]")}, type_url="type.googleapis.com/udpa.type.v1.TypedStruct")
    renamed = http_rbac({"rules": rules("DENY", "ns[t]-policy[renamed]-rule[0]")}, name="my-rbac")  # not matched by name
    legacy_hcm = hcm(http_rbac({"rules": rules("DENY", "ns[t]-policy[legacy-hcm]-rule[0]")}), name="envoy.http_connection_manager")
    check = authz_check(dump(listener("l", [tcp, hcm(untyped, mistyped, renamed), legacy_hcm])))
    assert [(r.action, r.name) for r in check.rows] == [("DENY", "legacy-hcm.t"), ("DENY", "tcp.t"), ("ALLOW", "_anonymous_match_nothing_")]
    assert any("TypedStruct" in warning for warning in check.warnings)


def test_only_active_v3_dynamic_listeners_count():
    active = listener("active", [hcm(http_rbac({"rules": rules("DENY", "ns[a]-policy[seen]-rule[0]")}))])
    warming = listener("warm", [hcm(http_rbac({"rules": rules("DENY", "ns[a]-policy[warming]-rule[0]")}))])
    static = listener("static", [hcm(http_rbac({"rules": rules("DENY", "ns[a]-policy[static]-rule[0]")}))])
    v2 = listener("v2", [hcm(http_rbac({"rules": rules("DENY", "ns[a]-policy[v2]-rule[0]")}))], type_url="type.googleapis.com/envoy.api.v2.Listener")
    assert table(dump(active, v2, warming=warming, static=static)).splitlines()[1:] == ["DENY     seen.a                1"]


def test_no_listeners_prints_nothing_and_a_v2_only_dump_prints_the_header():
    assert table(dump()) == ""
    v2 = listener("v2", [], type_url="type.googleapis.com/envoy.api.v2.Listener")
    assert table(dump(v2)) == "ACTION   AuthorizationPolicy   RULES\n"


def test_a_dump_without_listeners_section_is_bad_data():
    with pytest.raises(DecodeError, match="ListenersConfigDump"):
        authz_check(from_object({"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump"}]}))


def test_unparsable_policy_names_keep_istioctls_empty_row():
    check = authz_check(dump(listener("l", [hcm(http_rbac({"rules": rules("DENY", "allow-all")}))])))
    assert render_tabular(authz_table(check)).splitlines()[1] == "DENY     " + " " * len("AuthorizationPolicy   ") + "1"
    assert check.warnings == ["failed to parse policy name: allow-all"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ns[default]-policy[httpbin]-rule[0]", ("httpbin.default", "0")),
        ("istio-ext-authz-ns[default]-policy[ext-authz]-rule[3]", ("ext-authz.default", "3")),
        ("istio-ext-authz-my-provider-ns[a]-policy[b]-rule[1]", ("b.a", "1")),
        ("ns[a]-policy[b]-rule[1]-deny-due-to-bad-CUSTOM-action", ("b.a", "1")),
        # greedy groups, as Go's leftmost-first regexp: the last "]-policy[" wins for the namespace
        ("ns[a]-policy[b]-policy[c]-rule[0]", ("c.a]-policy[b", "0")),
        ("policy[b]-rule[0]", None),
    ],
)
def test_split_policy_name(name, expected):
    assert split_policy_name(name) == expected


def test_camel_case_dump_keeps_policy_names():
    # istioctl's own -o json is protobuf JSON; map keys (policy names) must survive the snake_case pass.
    item = listener("l", [hcm(http_rbac({"rules": rules("DENY", "ns[n]-policy[camelCase]-rule[0]")}))])
    camel = json.loads(json.dumps(item).replace("filter_chains", "filterChains").replace("http_filters", "httpFilters").replace("typed_config", "typedConfig").replace("stat_prefix", "statPrefix"))
    document = {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump", "dynamicListeners": [{"name": "l", "activeState": {"listener": camel}}]}]}
    assert table(from_object(document)).splitlines()[1] == "DENY     camelCase.n           1"
