"""The semantic dump diff behind `pc diff` (and later `snapshot diff`)."""

import copy
import json

import pytest

from meshctl.analyze.diff import diff_dumps, diff_values
from meshctl.decode.configdump import from_object
from meshctl.errors import ExitStatus

from helpers import ISTIO_TESTDATA, require_shared, run_meshctl


def cluster_entry(name, version="1", updated="2024-01-01T00:00:00Z", **fields):
    return {"version_info": version, "last_updated": updated, "cluster": {"name": name, "type": "EDS", **fields}}


def listener_entry(name, chains):
    return {"name": name, "active_state": {"version_info": "1", "listener": {"name": name, "filter_chains": chains}}}


def dump(clusters=(), warming=(), listeners=(), secrets=()):
    return from_object(
        {
            "configs": [
                {
                    "@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
                    "dynamic_active_clusters": list(clusters),
                    "dynamic_warming_clusters": list(warming),
                },
                {"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump", "dynamic_listeners": list(listeners)},
                {"@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump", "dynamic_active_secrets": list(secrets)},
            ]
        }
    )


def test_version_and_timestamps_are_noise():
    a = dump([cluster_entry("outbound|80||a.ns.svc.cluster.local", version="1", updated="2024-01-01T00:00:00Z")])
    b = dump([cluster_entry("outbound|80||a.ns.svc.cluster.local", version="7", updated="2025-06-01T00:00:00Z")])
    assert diff_dumps(a, b).equal


def test_added_removed_changed_per_type():
    a = dump([cluster_entry("c1", connect_timeout="1s"), cluster_entry("c2")])
    b = dump([cluster_entry("c1", connect_timeout="10s"), cluster_entry("c3")])
    result = diff_dumps(a, b)
    assert [(c.type, c.name, c.change) for c in result.changes] == [
        ("cluster", "c1", "changed"),
        ("cluster", "c2", "removed"),
        ("cluster", "c3", "added"),
    ]
    (field,) = result.changes[0].fields
    assert (field.path, field.before, field.after) == ("connect_timeout", "1s", "10s")
    assert result.counts()["cluster"] == {"added": 1, "removed": 1, "changed": 1}
    assert result.counts()["listener"] == {"added": 0, "removed": 0, "changed": 0}


def test_warming_to_active_is_a_change():
    a = dump(warming=[cluster_entry("c1")])
    b = dump(clusters=[cluster_entry("c1")])
    (change,) = diff_dumps(a, b).changes
    assert change.change == "changed"
    assert [(f.path, f.before, f.after) for f in change.fields] == [("state", "warming", "active")]


def test_filter_chain_order_is_ignored_but_filter_order_is_not():
    chain_a = {"name": "a", "filters": [{"name": "f1"}, {"name": "f2"}]}
    chain_b = {"name": "b", "filters": [{"name": "f3"}]}
    assert diff_dumps(dump(listeners=[listener_entry("l", [chain_a, chain_b])]), dump(listeners=[listener_entry("l", [chain_b, chain_a])])).equal

    swapped = dict(chain_a, filters=list(reversed(chain_a["filters"])))
    result = diff_dumps(dump(listeners=[listener_entry("l", [chain_a])]), dump(listeners=[listener_entry("l", [swapped])]))
    paths = [f.path for f in result.changes[0].fields]
    assert paths == ["filter_chains[name=a].filters[0].name", "filter_chains[name=a].filters[1].name"]


def test_unnamed_unordered_elements_pair_by_content():
    before = {"domains": ["a", "b", "c"]}
    assert list(diff_values(before, {"domains": ["c", "a", "b"]})) == []
    (removed,) = list(diff_values(before, {"domains": ["a", "c"]}))
    assert (removed.before, removed.after) == ("b", None)
    replaced = list(diff_values(before, {"domains": ["c", "a", "d"]}))
    assert {(c.before, c.after) for c in replaced} == {(None, "d"), ("b", None)}


def test_type_change_of_a_leaf_is_reported():
    (change,) = list(diff_values({"port": 80}, {"port": "80"}))
    assert (change.path, change.before, change.after) == ("port", 80, "80")


def test_type_selection():
    a = dump([cluster_entry("c1")], secrets=[{"name": "default", "secret": {"name": "default"}}])
    b = dump([cluster_entry("c2")])
    result = diff_dumps(a, b, ("secret",))
    assert [(c.type, c.name, c.change) for c in result.changes] == [("secret", "default", "removed")]


@pytest.fixture
def compare_testdata():
    return require_shared(ISTIO_TESTDATA / "istioctl/pkg/writer/compare/testdata")


def test_cli_exit_codes_and_json(compare_testdata, tmp_path):
    base = compare_testdata / "configdump.json"
    changed = compare_testdata / "configdump_diff.json"
    same = run_meshctl("pc", "diff", str(base), str(base))
    assert same.exit_code == 0 and "The dumps are equal." in same.stdout

    different = run_meshctl("pc", "diff", str(base), str(changed), "-o", "json")
    assert different.exit_code == ExitStatus.CHECK_FAILED
    data = json.loads(different.stdout)
    assert data["equal"] is False
    assert {"type": "cluster", "name": "inbound-vip|9999|http|ratings.default.svc.cluster.local", "change": "added", "fields": []} in data["changes"]
    listener = next(c for c in data["changes"] if c["name"] == "main_internal")
    assert {"before": "inbound_0.0.0.0_9080", "after": "inbound_0.0.0.0_9999"} == {
        k: v for f in listener["fields"] if f["path"].endswith("stat_prefix") for k, v in f.items() if k != "path"
    }

    # Re-ordering unordered lists and bumping versions in a copy changes nothing.
    document = json.loads(base.read_text())
    shuffled = copy.deepcopy(document)
    for config in shuffled["configs"]:
        for entry in config.get("dynamic_listeners", []):
            entry["active_state"]["version_info"] = "bumped"
            entry["active_state"]["listener"].get("filter_chains", []).reverse()
    copy_path = tmp_path / "shuffled.json"
    copy_path.write_text(json.dumps(shuffled))
    assert run_meshctl("pc", "diff", str(base), str(copy_path), "--type", "listener").exit_code == 0


def test_cli_rejects_unknown_type(compare_testdata):
    base = str(compare_testdata / "configdump.json")
    result = run_meshctl("pc", "diff", base, base, "--type", "clusterz")
    assert result.exit_code == ExitStatus.USAGE
    assert result.stderr.strip() == "meshctl: error: unknown --type clusterz (choose from bootstrap, cluster, endpoint, listener, route, secret, ecds)"


def test_source_for_spec_reads_urls_as_admin_paths_and_dashes_as_files_else_pods(tmp_path):
    from meshctl.sources.admin import AdminSource
    from meshctl.sources.file import FileSource
    from meshctl.sources.select import source_for_spec, spec_kind

    dump = tmp_path / "a.json"
    dump.write_text("{}")
    specs = ("http://127.0.0.1:15000", "https://x", "-", str(dump), "reviews-v1.default", "deploy/reviews-v1.default", str(tmp_path / "none.json"), "dump.json")
    # a path that does not exist is still a file (its error says so: exit 66), never a pod reference
    assert [spec_kind(s) for s in specs] == ["admin", "admin", "file", "file", "pod", "pod", "file", "file"]
    assert isinstance(source_for_spec("http://127.0.0.1:15000"), AdminSource)
    assert isinstance(source_for_spec(str(dump)), FileSource)
