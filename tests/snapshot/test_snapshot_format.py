"""The archive format without a cluster: writer (atomic, scrubbed), reader, replay, `snapshot diff`."""

from __future__ import annotations

import base64
import json
import os
import tarfile

import pytest

from meshctl.archive import layout
from meshctl.archive.reader import SnapshotArchive
from meshctl.archive.scrub import StreamScrubber, scrub
from meshctl.archive.writer import SnapshotWriter, json_bytes
from meshctl.errors import DecodeError, InputError, SourceError, UsageError
from meshctl.model.options import KubeOptions
from meshctl.sources.snapshot import SnapshotKube

from helpers import call_meshctl

KEY_PEM = b"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkey0123456789abcdef\n-----END EC PRIVATE KEY-----\n"
CERT_PEM = b"-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n"


# ---- scrubbing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [KEY_PEM, KEY_PEM.replace(b"\n", b"\\n"), base64.b64encode(KEY_PEM), KEY_PEM.replace(b"EC ", b"")],
    ids=["pem", "json-escaped", "base64", "pkcs8"],
)
def test_key_material_is_replaced_and_certificates_kept(key):
    data = b'{"chain": "' + CERT_PEM + b'", "key": "' + key + b'", "b64cert": "' + base64.b64encode(CERT_PEM) + b'"}'
    cleaned = scrub(data)
    # a base64 key is replaced by the base64 of "[redacted]", as Envoy redacts a bytes field
    assert key not in cleaned and (b"[redacted]" in cleaned or b"W3JlZGFjdGVkXQ==" in cleaned)
    assert CERT_PEM in cleaned and base64.b64encode(CERT_PEM) in cleaned


@pytest.mark.parametrize("chunk", [1, 7, 64, 4096])
def test_stream_scrubbing_finds_keys_cut_by_chunk_boundaries(chunk):
    data = (b"x" * 1000 + KEY_PEM + b"y" * 333 + base64.b64encode(KEY_PEM) + CERT_PEM) * 3
    scrubber = StreamScrubber()
    out = b"".join(scrubber.feed(data[i : i + chunk]) for i in range(0, len(data), chunk)) + scrubber.finish()
    assert out == scrub(data) and out.count(b"[redacted]") == 3 and b"PRIVATE" not in out
    assert base64.b64encode(KEY_PEM)[8:40] not in out


# ---- writer and reader -------------------------------------------------------------------------


def write_archive(path, pods: dict[str, bytes], objects=(), manifest=None):
    with SnapshotWriter(str(path)) as writer:
        writer.add_bytes(layout.CONTEXT, json_bytes({"context": "test", "namespace": "bookinfo"}))
        for member, obj in objects:
            writer.add_bytes(member, json_bytes(obj))
        for key, dump in pods.items():
            name, _, namespace = key.partition(".")
            writer.add_bytes(layout.pod_member(namespace, name, "config_dump"), dump)
        writer.add_bytes(layout.MANIFEST, json_bytes({"format": layout.FORMAT, **(manifest or {"pods": {}})}))


def test_writer_is_atomic_and_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "mesh.tar.gz"
    with pytest.raises(RuntimeError):
        with SnapshotWriter(str(target)) as writer:
            writer.add_bytes("cluster/context.json", b"{}")
            assert len(os.listdir(tmp_path)) == 1 and not target.exists()  # only the hidden temp file
            raise RuntimeError("interrupted")
    assert os.listdir(tmp_path) == []
    write_archive(target, {"a.ns": b'{"configs": []}'})
    assert os.listdir(tmp_path) == ["mesh.tar.gz"]
    with tarfile.open(target, "r:gz") as tar:
        assert tar.getnames() == [layout.CONTEXT, "pods/ns/a/config_dump.json", layout.MANIFEST]


def test_writer_refuses_bad_targets(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        SnapshotWriter(str(tmp_path / "missing" / "x.tar.gz"))
    with pytest.raises(UsageError, match="is a directory"):
        SnapshotWriter(str(tmp_path))


def test_reader_errors_are_one_line(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        SnapshotArchive(str(tmp_path / "nope.tar.gz"))
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar at all")
    with pytest.raises(DecodeError, match="not a readable meshctl snapshot"):
        SnapshotArchive(str(junk)).cluster_members()
    good = tmp_path / "good.tar.gz"
    write_archive(good, {"a.ns": b'{"configs": []}' * 5000})
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(DecodeError):
        SnapshotArchive(str(truncated)).manifest()
    result = call_meshctl("pc", "cluster", "a.ns", "--snapshot", str(junk))
    assert result.exit_code == 65 and result.stderr.count("\n") == 1


# ---- replay ------------------------------------------------------------------------------------


def pod_object(name, namespace, labels):
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"containers": [{"name": "istio-proxy"}]}, "status": {"phase": "Running"}}  # fmt: skip


def test_replay_lists_reads_and_selects_like_the_api(tmp_path):
    pods = [pod_object("a", "ns1", {"app": "x", "v": "1"}), pod_object("b", "ns1", {"app": "y"}), pod_object("c", "ns2", {"app": "x"})]
    objects = [(layout.object_member("/api/v1", "pods", p["metadata"]["namespace"], p["metadata"]["name"]), p) for p in pods]
    objects.append((layout.object_member("/api/v1", "namespaces", "", "ns1"), {"metadata": {"name": "ns1"}}))
    objects.append((layout.RECORDED, {"/api/v1/pods": "*", "/api/v1/services": ["ns1"]}))
    write_archive(tmp_path / "s.tar.gz", {}, objects, manifest={"pods": {"a.ns1": {"status": "failed", "error": "boom"}},
                                                              "failed": [{"what": "peerauthentications", "error": "RBAC denied"}]})
    kube = SnapshotKube(SnapshotArchive(str(tmp_path / "s.tar.gz")), KubeOptions())
    names = lambda items: [i["metadata"]["name"] for i in items]  # noqa: E731
    assert kube.namespace == "bookinfo"  # the captured context's
    assert names(kube.list("/api/v1", "pods", "ns1")) == ["a", "b"]
    assert names(kube.list("/api/v1", "pods")) == ["a", "b", "c"]
    assert names(kube.list("/api/v1", "pods", "", "app=x")) == ["a", "c"]
    assert names(kube.list("/api/v1", "pods", "", "app in (x, y),v!=1")) == ["b", "c"]
    assert names(kube.list("/api/v1", "pods", "", "!v")) == ["b", "c"]
    assert names(kube.list("/api/v1", "namespaces")) == ["ns1"]
    assert kube.read("/api/v1", "namespaces", "ns1", "")["metadata"]["name"] == "ns1"
    with pytest.raises(SourceError, match="pod zzz not found in namespace ns1"):
        kube.read("/api/v1", "pods", "zzz", "ns1")
    with pytest.raises(SourceError, match=r"config_dump.* is not in snapshot .*\(capture failed: boom\)"):
        kube.exec_in(pods[0], "istio-proxy", ["pilot-agent", "request", "GET", "config_dump?include_eds"])


def test_a_list_the_snapshot_did_not_record_is_not_an_empty_answer(tmp_path):
    from meshctl.sources.snapshot import NotRecorded

    objects = [(layout.object_member("/api/v1", "pods", "ns1", "a"), pod_object("a", "ns1", {}))]
    recorded = (layout.RECORDED, {"/api/v1/pods": "*", "/api/v1/services": ["ns1"]})
    write_archive(tmp_path / "s.tar.gz", {}, [*objects, recorded], manifest={"failed": [{"what": "peerauthentications", "error": "RBAC denied"}]})
    kube = SnapshotKube(SnapshotArchive(str(tmp_path / "s.tar.gz")), KubeOptions())
    assert kube.list("/api/v1", "services", "ns1") == []  # recorded, and there are none
    with pytest.raises(NotRecorded, match=r"^peerauthentications in all namespaces was not recorded in snapshot .* \(capture failed: RBAC denied\)$"):
        kube.list("/apis/security.istio.io/v1", "peerauthentications")
    with pytest.raises(NotRecorded, match=r"^destinationrules in namespace ns1 was not recorded"):
        kube.list("/apis/networking.istio.io/v1", "destinationrules", "ns1")
    # Read per namespace at capture (listing across them was denied): the same denial, then per namespace.
    with pytest.raises(SourceError, match=r"services in all namespaces was not recorded .* \(only in ns1\)") as denied:
        kube.list("/api/v1", "services")
    assert not isinstance(denied.value, NotRecorded)
    # A snapshot from before the record: its namespaced pod lists as before, no list across namespaces.
    write_archive(tmp_path / "old.tar.gz", {}, objects)
    old = SnapshotKube(SnapshotArchive(str(tmp_path / "old.tar.gz")), KubeOptions())
    assert [p["metadata"]["name"] for p in old.list("/api/v1", "pods", "ns1")] == ["a"]
    with pytest.raises(NotRecorded, match=r"pods in all namespaces was not recorded .*\(taken by an older meshctl\)"):
        old.list("/api/v1", "pods")


# ---- snapshot diff -----------------------------------------------------------------------------


def dump(clusters: dict[str, str], version="1") -> bytes:
    entries = [{"version_info": version, "last_updated": f"2024-0{version}-01T00:00:00Z",
                "cluster": {"name": name, "type": "EDS", "connect_timeout": timeout}} for name, timeout in clusters.items()]  # fmt: skip
    return json.dumps({"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "dynamic_active_clusters": entries}]}).encode()


def test_snapshot_diff_per_pod_and_type(tmp_path):
    write_archive(tmp_path / "a.tar.gz", {"same.ns": dump({"c1": "1s"}), "changed.ns": dump({"c1": "1s", "c2": "1s"}), "gone.ns": dump({})})
    write_archive(tmp_path / "b.tar.gz", {"same.ns": dump({"c1": "1s"}, version="2"), "changed.ns": dump({"c1": "5s", "c3": "1s"}), "new.ns": dump({})})
    result = call_meshctl("snapshot", "diff", str(tmp_path / "a.tar.gz"), str(tmp_path / "b.tar.gz"), "-o", "json")
    assert result.exit_code == 79, result
    document = json.loads(result.stdout)
    assert document["schemaVersion"] == "meshctl.snapshot-diff/v1" and document["equal"] is False
    assert [(row["pod"], row["status"]) for row in document["pods"]] == [
        ("changed.ns", "changed"), ("gone.ns", "removed"), ("new.ns", "added"), ("same.ns", "equal")]  # fmt: skip
    changed = document["pods"][0]
    assert [(c["type"], c["name"], c["change"]) for c in changed["changes"]] == [
        ("cluster", "c1", "changed"), ("cluster", "c2", "removed"), ("cluster", "c3", "added")]  # fmt: skip
    assert changed["changes"][0]["fields"] == [{"path": "connect_timeout", "before": "1s", "after": "5s"}]
    assert document["summary"]["pods"] == {"added": 1, "removed": 1, "changed": 1, "equal": 1}
    assert document["summary"]["resources"]["cluster"] == {"added": 1, "removed": 1, "changed": 1}
    text = call_meshctl("snapshot", "diff", str(tmp_path / "a.tar.gz"), str(tmp_path / "b.tar.gz"))
    assert text.exit_code == 79
    assert [line.split() for line in text.stdout.splitlines()[:5]] == [
        ["POD", "STATUS", "ADDED", "REMOVED", "CHANGED"], ["changed.ns", "changed", "1", "1", "1"],
        ["gone.ns", "removed", "0", "0", "0"], ["new.ns", "added", "0", "0", "0"], ["same.ns", "equal", "0", "0", "0"]]  # fmt: skip
    assert "changed.ns   changed   cluster   c1" in text.stdout


def test_snapshot_diff_equal_and_bad_input(tmp_path):
    write_archive(tmp_path / "a.tar.gz", {"p.ns": dump({"c1": "1s"})})
    write_archive(tmp_path / "b.tar.gz", {"p.ns": dump({"c1": "1s"}, version="3")})
    same = call_meshctl("snapshot", "diff", str(tmp_path / "a.tar.gz"), str(tmp_path / "b.tar.gz"))
    assert same.exit_code == 0 and same.stdout.endswith("The snapshots are equal.\n")
    bad_type = call_meshctl("snapshot", "diff", str(tmp_path / "a.tar.gz"), str(tmp_path / "b.tar.gz"), "--type", "cow")
    assert bad_type.exit_code == 2 and "unknown --type cow" in bad_type.stderr
    (tmp_path / "junk").write_bytes(b"junk")
    junk = call_meshctl("snapshot", "diff", str(tmp_path / "a.tar.gz"), str(tmp_path / "junk"))
    assert junk.exit_code == 65 and junk.stderr.count("\n") == 1


def test_snapshot_command_usage():
    missing_output = call_meshctl("snapshot", "-n", "x")
    assert missing_output.exit_code == 2 and "-o PATH" in missing_output.stderr
    no_pod = call_meshctl("pc", "cluster", "--snapshot", "whatever.tar.gz", "-f", "x.json")
    assert no_pod.exit_code == 2 and "--snapshot reads the pods it recorded" in no_pod.stderr
