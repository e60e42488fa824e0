"""`pc all -o json` over several pods (-n/-l/-A): each pod's dump re-encoded from its bytes as it is
written, laid out where the meshctl.pods/v1 document holds it, and the whole byte for byte what
the general path prints (every pod's `full_dump` in `pods_document`, `render.data.to_json`)."""

from __future__ import annotations

import contextlib
import json

import pytest

from meshctl.commands.pc.all_config import full_dump
from meshctl.decode.configdump import parse
from meshctl.model.document import pods_document
from meshctl.render.data import pods_json_chunks, to_json

from fakekube import http_target, istio_pod
from helpers import ISTIO_TESTDATA, call_meshctl, require_shared

NS = "bookinfo"
# istioctl's own JSON (camelCase): not laid out as Envoy's, so that pod takes the general path
ISTIOCTL_JSON = b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "versionInfo": "1"}]}'


@pytest.mark.kube
@pytest.mark.parametrize("raw", [False, True], ids=["istioctl", "raw"])
def test_several_pods_as_the_general_path(fake_kube, raw):
    dumps = {
        "a-1": require_shared(ISTIO_TESTDATA / "istioctl/pkg/describe/testdata/describe/tls_config.json").read_bytes(),
        "b-1": require_shared(ISTIO_TESTDATA / "istioctl/pkg/proxyconfig/testdata/config_dump.json").read_bytes(),
        "c-1": ISTIOCTL_JSON,
    }
    fake_kube.add(*(istio_pod(name, NS) for name in [*dumps, "d-1"]))
    fake_kube.refuse_port_forward("connect", pod="d-1")
    fake_kube.deny("create", "pods/exec", name="d-1")
    with contextlib.ExitStack() as stack:
        for name, data in dumps.items():
            fake_kube.back_sidecar(stack.enter_context(http_target({"/config_dump?include_eds": data})), pod=name, namespace=NS)
        many = call_meshctl("pc", "all", "-n", NS, "-o", "json", *(["--raw"] if raw else []), "--kubeconfig", str(fake_kube.kubeconfig_path))
    assert many.exit_code == 0, many
    results = [(f"{name}.{NS}", full_dump(parse(data), raw)) for name, data in dumps.items()]
    errors = [(item["pod"], item["error"]) for item in json.loads(many.stdout)["errors"]]  # (worded as timing has it)
    assert [pod for pod, _ in errors] == [f"d-1.{NS}"]
    assert many.stdout == to_json(pods_document(results, errors))


@pytest.mark.parametrize(("results", "errors"), [
    ([], []),
    ([("a.ns", {"x": [1, 2.5, {"y": "<b> & c"}], "e": {}, "l": []}), ("b.ns", [])], [("c.ns", "boom & <x>")]),
    ([], [("a.ns", "failed")]),
])  # fmt: skip
def test_pods_json_chunks_as_to_json(results, errors):
    assert b"".join(pods_json_chunks(results, errors)).decode() == to_json(pods_document(results, errors))
