"""`proxy-status POD`: istiod's config for a proxy against the proxy's own dump (istioctl pkg/writer/compare).

Pure tests use the two dumps of istioctl's compare testdata (configdump_diff.json renames port 9080 to
9999 in a cluster, a route and a listener's stat_prefix, and drops use_remote_address, eds_cluster_config
and max_stream_duration). End-to-end tests put the real Envoy rig behind a sidecar pod of the fake API
server and an "istiod" pod whose debug port answers with istiod's shape of the rig's own dump.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone

import pytest

from meshctl.analyze.proxystatus import compare_sync, first_config_dump, rfc1123
from meshctl.decode.configdump import from_object, parse
from meshctl.render.proxystatus import comparison_text

from fakekube import istio_pod, pod
from fakekube.targets import http_target
from helpers import ISTIO_TESTDATA, call_meshctl, require_shared, run_meshctl

TESTDATA = ISTIO_TESTDATA / "istioctl/pkg/writer/compare/testdata"
LOADED = "Mon, 04 Mar 2024 08:37:44 UTC"  # the testdata's route last_updated 2024-03-04T08:37:44.862Z


def load_testdata(name: str) -> dict:
    return json.loads(require_shared(TESTDATA / name).read_bytes())


def section(document: dict, name: str) -> dict:
    [entry] = [c for c in document["configs"] if c["@type"].endswith(f".{name}")]
    return entry


def compare(istiod: dict, proxy: dict):
    return compare_sync(from_object(copy.deepcopy(istiod)), from_object(copy.deepcopy(proxy)))


def headlines(comparison) -> list[str]:
    return [comparison.headline(kind, timezone.utc) for kind in ("cluster", "listener", "route")]


# ---- pure: analyze.proxystatus ------------------------------------------------------------------


def test_a_dump_matches_itself_with_istioctls_headlines():
    dump = load_testdata("configdump.json")
    comparison = compare(dump, dump)
    assert comparison.equal
    assert headlines(comparison) == ["Clusters Match", "Listeners Match", f"Routes Match (RDS last loaded at {LOADED})"]
    assert comparison_text(comparison, timezone.utc) == "\n".join(headlines(comparison)) + "\n"


def test_istioctl_testdata_differences_are_found_per_type():
    comparison = compare(load_testdata("configdump.json"), load_testdata("configdump_diff.json"))
    assert not comparison.equal
    assert headlines(comparison) == [
        "Clusters Don't Match", "Listeners Don't Match", f"Routes Don't Match (RDS last loaded at {LOADED})",
    ]  # fmt: skip
    changes = {(c.type, c.change, c.name): c for c in comparison.diff.changes}
    assert set(changes) == {
        ("cluster", "removed", "inbound-vip|9080|http|ratings.default.svc.cluster.local"),
        ("cluster", "added", "inbound-vip|9999|http|ratings.default.svc.cluster.local"),
        ("route", "removed", "inbound-vip|9080|http|reviews-v3.default.svc.cluster.local"),
        ("route", "added", "inbound-vip|9999|http|reviews-v3.default.svc.cluster.local"),
        ("listener", "changed", "connect_terminate"),
        ("listener", "changed", "main_internal"),
    }
    leaves = {(f.path.rsplit(".", 1)[-1], f.before, f.after) for c in changes.values() for f in c.fields}
    assert leaves == {("use_remote_address", False, None), ("stat_prefix", "inbound_0.0.0.0_9080", "inbound_0.0.0.0_9999")}
    text = comparison_text(comparison, timezone.utc)
    assert "only in Istiod: cluster/inbound-vip|9080|http|ratings.default.svc.cluster.local\n" in text
    assert "only in Envoy: route/inbound-vip|9999|http|reviews-v3.default.svc.cluster.local\n" in text
    assert "--- Istiod listener/main_internal\n+++ Envoy listener/main_internal\n" in text
    assert '-            "stat_prefix": "inbound_0.0.0.0_9080",\n+            "stat_prefix": "inbound_0.0.0.0_9999",\n' in text


def test_noise_and_state_istiod_does_not_send_are_ignored():
    istiod = load_testdata("configdump.json")
    proxy = copy.deepcopy(istiod)
    clusters, listeners, routes = (section(proxy, n) for n in ("ClustersConfigDump", "ListenersConfigDump", "RoutesConfigDump"))
    # versions and times differ, order differs (istioctl sorts by name)
    clusters["version_info"] = "2025-01-01T00:00:00Z/99"
    for entry in clusters["dynamic_active_clusters"] + routes["dynamic_route_configs"]:
        entry["version_info"], entry["last_updated"] = "other", "2025-01-01T00:00:00Z"
    listeners["dynamic_listeners"].reverse()
    # bootstrap's static clusters, a warming cluster, a draining listener state: not what istiod sends
    clusters["static_clusters"] = [{"cluster": {"name": "prometheus_stats", "type": "STATIC"}}]
    clusters["dynamic_warming_clusters"] = [{"cluster": {"name": "outbound|80||new.default.svc.cluster.local"}}]
    listeners["dynamic_listeners"][0]["draining_state"] = {"listener": {"name": "old", "address": {}}}
    routes["static_route_configs"] = [{"route_config": {"name": "prometheus"}}]
    # a v2 type URL on istiod's side (istioctl sets v3 before comparing)
    v2 = copy.deepcopy(istiod)
    section(v2, "ClustersConfigDump")["dynamic_active_clusters"][0]["cluster"]["@type"] = "type.googleapis.com/envoy.api.v2.Cluster"
    comparison = compare(v2, proxy)
    assert comparison.equal, comparison.diff.changes
    assert comparison.headline("route", timezone.utc) == "Routes Match (RDS last loaded at Wed, 01 Jan 2025 00:00:00 UTC)"


def test_a_listener_only_warming_in_envoy_is_missing_there():
    istiod = load_testdata("configdump.json")
    proxy = copy.deepcopy(istiod)
    entry = section(proxy, "ListenersConfigDump")["dynamic_listeners"][0]
    entry["warming_state"] = entry.pop("active_state")
    comparison = compare(istiod, proxy)
    assert [(c.type, c.change, c.name) for c in comparison.diff.changes] == [("listener", "removed", entry["name"])]
    assert headlines(comparison)[:2] == ["Clusters Match", "Listeners Don't Match"]


def test_rds_time_is_the_newest_valid_one_and_absent_without_routes():
    dump = load_testdata("configdump.json")
    routes = section(dump, "RoutesConfigDump")["dynamic_route_configs"]
    routes += [
        {"last_updated": "2024-03-05T10:00:00.5Z", "route_config": {"name": "b"}},
        {"last_updated": "not a time", "route_config": {"name": "c"}},
        {"route_config": {"name": "d"}},
    ]  # fmt: skip
    comparison = compare(dump, dump)
    assert comparison.rds_last_loaded == datetime(2024, 3, 5, 10, 0, 0, 500000, tzinfo=timezone.utc)
    assert comparison.to_data()["rdsLastLoaded"] == "2024-03-05T10:00:00.500Z"
    without = {"configs": [section(dump, "ClustersConfigDump")]}
    assert compare(without, without).headline("route") == "Routes Match"


def test_rfc1123_is_gos_layout_in_the_zone_asked_for():
    moment = datetime(2024, 3, 4, 8, 37, 44, tzinfo=timezone.utc)
    assert rfc1123(moment, timezone.utc) == "Mon, 04 Mar 2024 08:37:44 UTC"
    ist = timezone(timedelta(hours=5, minutes=30), "IST")
    assert rfc1123(moment, ist) == "Mon, 04 Mar 2024 14:07:44 IST"


def test_first_config_dump_skips_istiods_the_proxy_is_not_connected_to():
    dump = require_shared(TESTDATA / "configdump.json").read_bytes()
    # pilot/pkg/xds/debug.go configDump answers this text when the proxy is connected elsewhere
    answers = {"istiod-a": b"Proxy not connected to this Pilot instance. It may be connected to another instance.\n", "istiod-b": dump}
    istiod, found = first_config_dump(answers)
    assert istiod == "istiod-b" and found.section("ClustersConfigDump") == parse(dump).section("ClustersConfigDump")
    assert first_config_dump({"istiod-a": answers["istiod-a"]}) is None


# ---- the command, offline ----------------------------------------------------------------------


def test_files_that_match_print_istioctls_lines_and_exit_0():
    same = str(require_shared(TESTDATA / "configdump.json"))
    result = run_meshctl("proxy-status", "--istiod-file", same, "--proxy-file", same, env={"TZ": "UTC"})
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"Clusters Match\nListeners Match\nRoutes Match (RDS last loaded at {LOADED})\n"


def test_files_that_differ_exit_79_with_the_diff_and_structured_json(tmp_path):
    istiod, proxy = str(require_shared(TESTDATA / "configdump.json")), str(TESTDATA / "configdump_diff.json")
    text = call_meshctl("proxy-status", "reviews-v3.default", "--istiod-file", istiod, "--file", proxy)  # istioctl's --file
    assert (text.exit_code, text.stderr) == (79, "")
    assert text.stdout.startswith("Clusters Don't Match\nonly in Istiod: cluster/")
    assert "\nListeners Don't Match\n--- Istiod listener/connect_terminate\n" in text.stdout
    assert '-            "use_remote_address": false\n' in text.stdout
    data = call_meshctl("proxy-status", "reviews-v3.default", "--istiod-file", istiod, "--proxy-file", "-", "-o", "json",
                        stdin=(TESTDATA / "configdump_diff.json").read_bytes())  # fmt: skip
    assert data.exit_code == 79
    document = json.loads(data.stdout)
    assert (document["proxy"], document["istiod"], document["equal"]) == ("reviews-v3.default", istiod, False)
    assert document["match"] == {"cluster": False, "listener": False, "route": False}
    assert document["summary"]["listener"] == {"added": 0, "removed": 0, "changed": 2}
    [stat_prefix] = [f for c in document["changes"] for f in c["fields"] if f["path"].endswith("stat_prefix")]
    assert (stat_prefix["before"], stat_prefix["after"]) == ("inbound_0.0.0.0_9080", "inbound_0.0.0.0_9999")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--istiod-file", "x.json"], "name the proxy to compare"),
        (["--istiod-file", "-", "--proxy-file", "-"], "only one of --istiod-file and --file"),
        (["--istiod-file", "a", "--proxy-file", "b", "-o", "wide"], "-o wide is the sync table"),
        (["p.ns", "--syncz-file", "syncz.json", "--file", "b"], "--syncz-file reads sync status tables"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, fragment):
    result = call_meshctl("proxy-status", *args)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and fragment in result.stderr, result


def test_a_file_that_is_not_a_dump_exits_65(tmp_path):
    bad = tmp_path / "istiod.json"
    bad.write_text("Proxy not connected to this Pilot instance.\n")
    result = call_meshctl("proxy-status", "--istiod-file", str(bad), "--proxy-file", str(require_shared(TESTDATA / "configdump.json")))
    assert result.exit_code == 65 and result.stderr.count("\n") == 1, result


# ---- end to end: fake API server, real Envoy -----------------------------------------------------

POD, NS = "reviews-v1-abc", "bookinfo"
CONFIG_DUMP_PATH = f"/debug/config_dump?proxyID={POD}.{NS}"


def istiod_pod(name: str) -> dict:
    return pod(name, "istio-system", labels={"app": "istiod", "istio.io/rev": "default"},
               containers=[{"name": "discovery", "image": "docker.io/istio/pilot:1.24.1"}])  # fmt: skip


def istiod_answer(envoy_dump: bytes) -> dict:
    """What istiod's debug config_dump holds for this proxy (pilot/pkg/xds/debug.go connectionConfigDump):
    the xDS resources it generates, without Envoy's bootstrap statics, warming state or times."""
    document = json.loads(envoy_dump)
    clusters, listeners, routes = (section(document, n) for n in ("ClustersConfigDump", "ListenersConfigDump", "RoutesConfigDump"))
    return {"configs": [
        {"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump"},
        {"@type": clusters["@type"], "version_info": "2026-11-26T06:00:00Z/7",
         "dynamic_active_clusters": [{"cluster": e["cluster"]} for e in clusters["dynamic_active_clusters"]]},
        {"@type": listeners["@type"], "version_info": "2026-11-26T06:00:00Z/7",
         "dynamic_listeners": [{"name": e["name"], "active_state": {"listener": e["active_state"]["listener"]}}
                               for e in listeners["dynamic_listeners"]]},
        {"@type": "type.googleapis.com/envoy.admin.v3.ScopedRoutesConfigDump"},
        {"@type": routes["@type"], "dynamic_route_configs": [{"route_config": e["route_config"]} for e in routes["dynamic_route_configs"]]},
    ]}  # fmt: skip


@pytest.fixture
def mesh(fake_kube, envoy_rig):
    """A sidecar pod backed by the real Envoy rig, and one istiod pod (its debug port set per test)."""
    fake_kube.add(istio_pod(POD, NS), istiod_pod("istiod-7d9c-abc"))
    fake_kube.forward_port(15000, ("127.0.0.1", envoy_rig.admin_port), pod=POD)
    return fake_kube


def meshctl(kube, *args):
    return call_meshctl(*args, "--kubeconfig", str(kube.kubeconfig_path))



@pytest.mark.kube
@pytest.mark.envoy
def test_pod_whose_envoy_has_what_istiod_sends_matches(mesh, envoy_rig):
    answer = istiod_answer(envoy_rig.admin().fetch("config_dump"))
    with http_target({CONFIG_DUMP_PATH: json.dumps(answer).encode()}) as target:
        mesh.forward_port(15014, target, pod="istiod-7d9c-abc")
        result = meshctl(mesh, "proxy-status", POD, "-n", NS, "--show-path")
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    assert lines[:2] == ["Clusters Match", "Listeners Match"]
    assert lines[2].startswith("Routes Match (RDS last loaded at ") and len(lines) == 3
    assert f"port-forward to istiod-7d9c-abc.istio-system:15014: {CONFIG_DUMP_PATH}" in result.stderr
    assert f"port-forward to {POD}.{NS}:15000: /config_dump" in result.stderr


@pytest.mark.kube
@pytest.mark.envoy
def test_pod_whose_envoy_differs_exits_79_naming_what_differs(mesh, envoy_rig):
    answer = istiod_answer(envoy_rig.admin().fetch("config_dump"))
    active = section(answer, "ClustersConfigDump")["dynamic_active_clusters"]
    extra = copy.deepcopy(active[-1])
    extra["cluster"]["name"] = "outbound|9080||productpage.default.svc.cluster.local"
    active.append(extra)  # istiod would send a cluster Envoy lacks
    route = section(answer, "RoutesConfigDump")["dynamic_route_configs"][0]["route_config"]
    route["validate_clusters"] = not route.get("validate_clusters", False)  # and a route Envoy has otherwise
    with http_target({CONFIG_DUMP_PATH: json.dumps(answer).encode()}) as target:
        mesh.forward_port(15014, target, pod="istiod-7d9c-abc")
        text = meshctl(mesh, "proxy-status", f"{POD}.{NS}")
        data = meshctl(mesh, "proxy-status", f"{POD}.{NS}", "-o", "json")
    assert text.exit_code == 79, text
    assert text.stdout.startswith(f"Clusters Don't Match\nonly in Istiod: cluster/{extra['cluster']['name']}\n\nListeners Match\nRoutes Don't Match (RDS last loaded at ")
    assert f"--- Istiod route/{route['name']}\n" in text.stdout and '"validate_clusters"' in text.stdout
    document = json.loads(data.stdout)
    assert (data.exit_code, document["proxy"], document["istiod"]) == (79, f"{POD}.{NS}", "istiod-7d9c-abc")
    assert document["match"] == {"cluster": False, "listener": True, "route": False}
    assert [(c["type"], c["change"]) for c in document["changes"]] == [("cluster", "removed"), ("route", "changed")]


@pytest.mark.kube
@pytest.mark.envoy
def test_the_istiod_holding_the_proxy_is_found_among_several_by_exec(mesh, envoy_rig, tmp_path):
    mesh.add(istiod_pod("istiod-0-other"))
    mesh.refuse_port_forward("upgrade", pod="istiod-0-other")
    mesh.refuse_port_forward("upgrade", pod="istiod-7d9c-abc")
    argv = ["pilot-discovery", "request", "GET", CONFIG_DUMP_PATH[1:]]
    mesh.on_exec(argv, b"Proxy not connected to this Pilot instance. It may be connected to another instance.\n", pod="istiod-0-other")
    envoy_dump = envoy_rig.admin().fetch("config_dump")
    mesh.on_exec(argv, json.dumps(istiod_answer(envoy_dump)).encode(), pod="istiod-7d9c-abc")
    result = meshctl(mesh, "proxy-status", f"{POD}.{NS}", "-o", "yaml")
    assert result.exit_code == 0, result
    assert "istiod: istiod-7d9c-abc\n" in result.stdout and "equal: true\n" in result.stdout
    # istioctl's --file: the proxy side from a file, istiod asked live
    proxy_file = tmp_path / "envoy.json"
    changed = json.loads(envoy_dump)
    section(changed, "ListenersConfigDump")["dynamic_listeners"].pop()
    proxy_file.write_text(json.dumps(changed))
    from_file = meshctl(mesh, "proxy-status", f"{POD}.{NS}", "--proxy-file", str(proxy_file))
    assert from_file.exit_code == 79, from_file
    assert from_file.stdout.splitlines()[:2] == ["Clusters Match", "Listeners Don't Match"]


@pytest.mark.kube
def test_no_istiod_with_the_proxy_is_one_line_69(fake_kube):
    fake_kube.add(istio_pod(POD, NS), istiod_pod("istiod-7d9c-abc"))
    fake_kube.refuse_port_forward("upgrade", pod="istiod-7d9c-abc")
    fake_kube.on_exec(["pilot-discovery", "request", "GET"], b"Proxy not connected to this Pilot instance.\n", pod="istiod-7d9c-abc")
    result = meshctl(fake_kube, "proxy-status", f"{POD}.{NS}")
    assert (result.exit_code, result.stdout, result.stderr.count("\n")) == (69, "", 1), result
    assert f"no istiod has a config for {POD}.{NS} (checked 1 istiods" in result.stderr
