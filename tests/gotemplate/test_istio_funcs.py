"""Istio's injection template functions (pkg/kube/inject/template.go), through the engine.

Expected values come from Istio's Go code and tests (TestAppendMultusNetwork and the injection
goldens under ../shared/istio-testdata) and from ../shared/gotemplate/istio-funcs.md.
"""

from __future__ import annotations

import re

import pytest

from meshctl.goenc.gojson import StructFields
from meshctl.gotemplate import Template, TemplateError, render
from meshctl.gotemplate.host import HostAccess
from meshctl.gotemplate.sprig import txt_func_map
from meshctl.gotemplate.typed import Ptr
from meshctl.inject.template_data import MeshConfig, ProxyConfig, SidecarTemplateData, kube_class
from meshctl.inject.template_funcs import injection_funcmap, istio_funcmap

from helpers import GOTEMPLATE_CORPUS, ISTIO_TESTDATA, require_shared

LOCAL = HostAccess.local()
FUNCS = injection_funcmap(LOCAL)
ISTIO_FUNCS = istio_funcmap(LOCAL)
SPRIG_FUNCS = txt_func_map(LOCAL)
TEMPLATES = ISTIO_TESTDATA / "manifests/charts/istio-control/istio-discovery/files"


def run(template: str, data=None) -> str:
    return render(template, data if data is not None else {}, funcs=FUNCS)


META = {"annotations": {"present": "v", "empty": "", "sidecar.istio.io/userVolume": '{"v": {"emptyDir": {}}}'}}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{ annotation .meta "present" "d" }}', "v"),
        ('{{ annotation .meta "empty" "d" }}', ""),  # a present key wins even when empty
        ('{{ annotation .meta "missing" "d" }}', "d"),
        ('{{ annotation .meta "missing" .port }}', "15020"),
        ('{{ annotation .meta "missing" .big }}', "1e+06"),
        ('{{ annotation .meta "missing" .nothing }}', "<nil>"),
        ('{{ annotation .meta "missing" true }}', "true"),
        ('{{ annotation .meta "missing" .list }}', "[a b]"),
        ('{{ annotation .nometa "x" "d" }}', "d"),
    ],
)
def test_annotation(template, expected):
    data = {"meta": META, "nometa": {}, "port": 15020.0, "big": 1e6, "list": ["a", "b"]}
    assert run(template, data) == expected


def test_isset_checks_presence_only():
    data = {"a": {"k": "", "x": "1"}}
    assert run('{{ isset .a "k" }} {{ isset .a "x" }} {{ isset .a "nope" }} {{ isset .missing "k" }}', data) == (
        "true true false false"
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{ valueOrDefault "" "d" }}', "d"),
        ('{{ valueOrDefault .nothing "d" }}', "d"),
        ('{{ valueOrDefault .missing "d" }}', "d"),
        ('{{ valueOrDefault .zero "d" }}', "0"),  # unlike sprig's default, 0 and false are kept
        ('{{ valueOrDefault false "d" }}', "false"),
        ('{{ valueOrDefault .list "d" }}', "[]"),
        ('{{ valueOrDefault "v" "d" }}', "v"),
        ('{{ .zero | default "d" }}', "d"),
    ],
)
def test_value_or_default(template, expected):
    assert run(template, {"nothing": None, "zero": 0.0, "list": []}) == expected


def test_to_yaml_is_sigs_k8s_yaml():
    data = {"v": {"requests": {"memory": "128Mi", "cpu": "100m"}, "n": 1e6, "b": "yes", "l": [1.5, None]}}
    # go-yaml v2 quotes YAML 1.1 booleans such as "yes" and the key "n"
    assert run("{{ toYaml .v }}", data) == 'b: "yes"\nl:\n- 1.5\n- null\n"n": 1000000\nrequests:\n  cpu: 100m\n  memory: 128Mi\n'
    assert run("{{ toYaml .nothing }}", {"nothing": None}) == "null\n"
    assert run("{{ toYaml .missing }}") == "null\n"
    assert run("{{ toYaml .nan }}", {"nan": float("nan")}) == ""  # marshal error -> ""


def test_indent_is_istios_and_nindent_is_sprigs():
    assert run('{{ indent 4 "a\\nb\\nc" }}') == "a\n    b\n    c"
    assert run('{{ indent -2 "a\\nb" }}') == "a\n  b"  # fmt "% -2s" still pads to width 2
    assert run('{{ indent 0 "a\\nb" }}') == "a\nb"
    assert run('{{ nindent 4 "a\\nb" }}') == "\n    a\n    b"
    assert run("resources:\n  {{ toYaml .r | indent 2 }}", {"r": {"a": 1.0, "b": 2.0}}) == "resources:\n  a: 1\n  b: 2\n  "


def test_struct_to_json():
    port = StructFields([("name", "http"), ("containerPort", 8080), ("protocol", "TCP")])
    assert run("{{ structToJSON .p }}", {"p": port}) == '{"name":"http","containerPort":8080,"protocol":"TCP"}'
    assert run("{{ structToJSON .nothing }}", {"nothing": None}) == "{}"
    assert run("{{ structToJSON .m }}", {"m": {"b": "<x>", "a": 1.0}}) == '{"a":1,"b":"\\u003cx\\u003e"}'
    assert run("{{ structToJSON .nan }}", {"nan": float("nan")}) == "{}"


def _golden_proxy_config(name: str) -> str:
    golden = require_shared(ISTIO_TESTDATA / "pkg/kube/inject/testdata/inject" / name).read_text()
    return re.search(r"name: PROXY_CONFIG\n\s+value: \|\n\s+(\{.*\})\n", golden).group(1)


def test_proto_to_json_clears_default_proxy_config_fields():
    pc = {
        "configPath": "./etc/istio/proxy",
        "binaryPath": "/usr/local/bin/envoy",
        "serviceCluster": "istio-proxy",
        "drainDuration": "45s",
        "discoveryAddress": "foo:123",
        "proxyAdminPort": 15000,
        "controlPlaneAuthPolicy": "MUTUAL_TLS",
        "statNameLength": 189,
        "concurrency": 0,
        "tracing": {"zipkin": {"address": "zipkin.istio-system:9411"}},
        "statusPort": 15020,
        "terminationDrainDuration": "5s",
        "proxyMetadata": {"FOO": "bar", "ISTIO_META_TLS_CLIENT_KEY": "/etc/identity2/client/keys/client-key.pem"},
    }
    # PROXY_CONFIG values in Istio's injection goldens
    assert run("{{ protoToJSON .pc }}", {"pc": pc}) == _golden_proxy_config("traffic-annotations.yaml.injected")
    tracing_off = {**pc, "discoveryAddress": "istiod.istio-system.svc:15012", "tracing": {}, "proxyMetadata": {}}
    del tracing_off["concurrency"]
    assert run("{{ protoToJSON .pc }}", {"pc": tracing_off}) == _golden_proxy_config("hello-tracing-disabled.yaml.injected")
    drain = {"drainDuration": "23s", "statusPort": 15020}
    assert run("{{ protoToJSON .pc }}", {"pc": drain}) == _golden_proxy_config("format-duration.yaml.injected")
    assert run("{{ protoToJSON .nothing }}", {"nothing": None}) == "{}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": [1, "x"]}', "map[a:[1 x]]"),
        ("", "{}"),  # Istio's fromJSON returns the string "{}" on error, not a map
        ("{bad", "{}"),
        ("null", "<no value>"),  # a nil interface result
    ],
)
def test_from_json(text, expected):
    assert run("{{ fromJSON .t }}", {"t": text}) == expected


def test_from_json_of_an_absent_annotation_ranges_over_nothing():
    # index on the map[string]string Annotations gives "" for a missing key; "{}" is a string: range over it fails
    template = "{{ range $k, $v := fromJSON .v }}{{ $k }}{{ end }}|"
    assert run(template, {"v": '{"b": 1, "a": 2}'}) == "ab|"
    with pytest.raises(TemplateError) as info:
        run(template, {"v": ""})
    assert info.value.phase == "exec"


def test_contains_and_to_lower():
    assert run('{{ contains "cat" "fair catch" }} {{ contains "dog" "fair catch" }} {{ toLower "TPROXY" }}') == "true false tproxy"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": None, "b": 1.0}, {"b": 1.0}),
        ({"a": {"b": None}, "c": "x"}, {"c": "x"}),  # emptied by removals -> nil -> dropped
        ({"a": {}, "l": []}, {"a": {}, "l": []}),  # already empty: kept
        ({"a": None}, None),
        ([None, {"x": None}, 1.0], [1.0]),
        ({"limits": {"cpu": None, "memory": "1Gi"}, "requests": {"cpu": "100m"}},
         {"limits": {"memory": "1Gi"}, "requests": {"cpu": "100m"}}),
        ("s", "s"),
        (None, None),
    ],
)
def test_omit_nil(value, expected):
    assert ISTIO_FUNCS["omitNil"](value) == expected


def test_omit_nil_feeds_to_yaml():
    data = {"r": {"limits": {"cpu": None}, "requests": {"memory": "40Mi", "cpu": None}}}
    assert run("{{ toYaml (omitNil .r) }}", data) == "requests:\n  memory: 40Mi\n"


@pytest.mark.parametrize(
    ("port", "excluded", "expected"),
    [
        (15020.0, "", "15020"),
        (15020.0, "15020", "15020"),
        (15020.0, "8080,15020", "8080,15020"),
        (15020.0, " 8080 , ,9090,", "8080,9090,15020"),
        ("15021", "8080", "8080,15021"),
        (" 7 ", "1", "1,7"),
        (0.0, "1, 2", "1, 2"),
        ("", "1, 2", "1, 2"),
        (1e6, "", "1e+06"),
    ],
)
def test_exclude_inbound_port(port, excluded, expected):
    assert run("{{ excludeInboundPort .p .e }}", {"p": port, "e": excluded}) == expected


# pkg/kube/inject: TestAppendMultusNetwork
MULTUS = [
    ("", "istio-cni"),
    ("macvlan-conf-1", "macvlan-conf-1, istio-cni"),
    ("macvlan-conf-1, macvlan-conf-2", "macvlan-conf-1, macvlan-conf-2, istio-cni"),
    ('[{"name": "macvlan-conf-1"}]', '[{"name": "macvlan-conf-1"}, {"name": "istio-cni"}]'),
    ('[{"name": "macvlan-conf-1"}, {"name": "macvlan-conf-2"}]',
     '[{"name": "macvlan-conf-1"}, {"name": "macvlan-conf-2"}, {"name": "istio-cni"}]'),
    ('[\n  {"name": "macvlan-conf-1"},\n  {"name": "macvlan-conf-2"}\n  ]',
     '[\n  {"name": "macvlan-conf-1"},\n  {"name": "macvlan-conf-2"}\n  , {"name": "istio-cni"}]'),
    ('[{"name": "istio-cni"}]', '[{"name": "istio-cni"}]'),
    ("istio-cni", "istio-cni"),
    ("a, istio-cni ,b", "a, istio-cni ,b"),
    ("[not json]", "[not json]"),  # has "]" but is not JSON: left alone
    ("[not json", "[not json, istio-cni"),  # no "]": a flat list
]


@pytest.mark.parametrize(("existing", "expected"), MULTUS)
def test_append_multus_network(existing, expected):
    assert ISTIO_FUNCS["appendMultusNetwork"](existing, "istio-cni") == expected


def test_append_multus_network_with_namespaced_network():
    f = ISTIO_FUNCS["appendMultusNetwork"]
    # hello-existing-cncf-networks golden: a flat list gets ", default/istio-cni"
    assert f("alt_cni", "default/istio-cni") == "alt_cni, default/istio-cni"
    assert f('[{"name": "a"}]', "default/istio-cni") == '[{"name": "a"}, {"name": "istio-cni", "namespace": "default"}]'
    same = '[{"name": "istio-cni", "namespace": "default"}]'
    assert f(same, "default/istio-cni") == same
    assert run("{{ appendMultusNetwork .v `default/istio-cni` }}", {"v": ""}) == "default/istio-cni"


@pytest.mark.parametrize(("path", "expected"), [("/a/b.pem", "/a/"), ("b.pem", ""), ("", ""), ("/x/", "/x/"), ("a/b/c", "a/b/")])
def test_directory(path, expected):
    assert run("{{ directory .p }}", {"p": path}) == expected


def _otel_mesh(mode: str) -> dict:
    return {"extensionProviders": [{"name": "otel", "opentelemetry": {"service": "otel-collector", "port": 4317,
                                                                      "serviceAttributeEnrichment": mode}}]}


def test_otel_resource_attributes_matches_the_hello_otel_semconv_golden():
    golden = require_shared(ISTIO_TESTDATA / "pkg/kube/inject/testdata/inject/hello-otel-semconv.yaml.injected").read_text()
    expected = re.search(r"name: OTEL_RESOURCE_ATTRIBUTES\n\s+value: (\S+)", golden).group(1)
    containers = [{"name": "hello", "image": "fake.docker.io/google-samples/hello-go-gke:1.0"}]
    labels = {"app": "hello", "app.kubernetes.io/version": "v1.2.3"}
    f = ISTIO_FUNCS["otelResourceAttributes"]
    assert f(_otel_mesh("OTEL_SEMANTIC_CONVENTIONS"), {}, labels, "default", containers) == expected


def test_otel_resource_attributes_sources():
    f = ISTIO_FUNCS["otelResourceAttributes"]
    mesh = _otel_mesh("OTEL_SEMANTIC_CONVENTIONS")
    one = [{"name": "app", "image": "repo:5000/app:2.1"}]
    assert f(mesh, {}, {}, "ns", one) == "service.namespace=ns,service.version=2.1,service.instance.id=ns.$(POD_NAME).app"
    digest = [{"name": "app", "image": "repo/app@sha256:abc"}]
    assert f(mesh, {}, {}, "ns", digest) == "service.namespace=ns,service.version=sha256:abc,service.instance.id=ns.$(POD_NAME).app"
    two = one + [{"name": "b", "image": "b:1"}]
    assert f(mesh, {}, {}, "ns", two) == "service.namespace=ns,service.instance.id=ns.$(POD_NAME).app"
    annos = {"resource.opentelemetry.io/service.namespace": "team", "resource.opentelemetry.io/service.version": "9",
             "resource.opentelemetry.io/service.instance.id": "id-1"}
    assert f(mesh, annos, {}, "ns", one) == "service.namespace=team,service.version=9,service.instance.id=id-1"
    assert f(_otel_mesh("UNSPECIFIED"), {}, {}, "ns", one) == ""
    assert f({}, {}, {}, "ns", one) == ""
    assert f(None, {}, {}, "ns", one) == ""


def test_gateway_controller_map_functions():
    assert run('{{ toJsonMap (strdict "b" "2" "a" "<1>") (strdict "a" "3" "odd") }}') == '{"a":"3","b":"2","odd":""}'
    assert run("{{ toJsonMap }}") == "null"
    data = {"ia": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "keep": "me"}}
    template = '{{ toJsonMap (omit .ia "kubectl.kubernetes.io/last-applied-configuration" "gateway.istio.io/name-override") | nindent 4 }}'
    assert run(template, data) == '\n    {"keep":"me"}'
    assert run('{{ omit .missing "a" | len }}') == "0"
    assert run('{{ toJSON .m }}|{{ toJSON .nothing }}', {"m": {"a": "<b>"}, "nothing": None}) == '{"a":"\\u003cb\\u003e"}|{}'
    assert ISTIO_FUNCS["mergeMaps"]() is None
    assert ISTIO_FUNCS["mergeMaps"]({"a": "1"}, {"a": "2", "b": "3"}) == {"a": "2", "b": "3"}


@pytest.mark.parametrize(
    ("duration", "expected"),
    [("23s", "23s"), ("60s", "1m0s"), ("3600s", "1h0m0s"), ("1.5s", "1.5s"), ("0.001s", "1ms"), ("0s", "0s"),
     ({"seconds": 90, "nanos": 500000000}, "1m30.5s")],
)
def test_format_duration(duration, expected):
    assert ISTIO_FUNCS["formatDuration"](duration) == expected


def test_container_ports():
    containers = [
        {"name": "app", "ports": [{"containerPort": 8080}, {"containerPort": 53, "protocol": "UDP"}, {"containerPort": 9090, "protocol": "TCP"}]},
        {"name": "istio-proxy", "ports": [{"containerPort": 15090, "protocol": "TCP"}]},
        {"name": "sctp", "ports": [{"containerPort": 7, "protocol": "SCTP"}]},
    ]
    assert ISTIO_FUNCS["includeInboundPorts"](containers) == "8080,9090,15090"
    assert ISTIO_FUNCS["applicationPorts"](containers) == "8080,9090"
    assert ISTIO_FUNCS["kubevirtInterfaces"]("net1") == "net1"


def test_env_reads_meshctls_environment_or_default(monkeypatch):
    monkeypatch.setenv("MESHCTL_ISTIO_ENV_TEST", "x")
    monkeypatch.delenv("MESHCTL_ISTIO_ENV_UNSET", raising=False)
    assert run('{{ env "MESHCTL_ISTIO_ENV_TEST" "d" }} {{ env "MESHCTL_ISTIO_ENV_UNSET" "d" }}') == "x d"


def test_injection_funcs_are_sprig_plus_istio_overrides():
    doc = require_shared(GOTEMPLATE_CORPUS / "istio-funcs.md").read_text()
    section = doc.split("## Functions registered by Istio")[1].split("## Go builtins")[0]
    istio_names = re.findall(r"^\| `(\w+)` \|", section, re.M)
    assert len(istio_names) == 26
    assert set(istio_names) == ISTIO_FUNCS.keys()
    assert FUNCS.keys() == SPRIG_FUNCS.keys() | ISTIO_FUNCS.keys()
    for name in ("indent", "contains", "omit"):
        assert FUNCS[name] is ISTIO_FUNCS[name]
    assert FUNCS["env"].func is ISTIO_FUNCS["env"].func and FUNCS["env"] is not SPRIG_FUNCS["env"]
    assert FUNCS["nindent"] is SPRIG_FUNCS["nindent"]
    # sprig's slice replaces the builtin: it works on lists only
    assert run("{{ slice (list 1 2 3) 1 }}") == "[2 3]"
    with pytest.raises(TemplateError) as info:
        run('{{ slice "abc" 1 }}')
    assert info.value.phase == "exec"


@pytest.mark.parametrize(
    "name",
    ["injection-template.yaml", "gateway-injection-template.yaml", "grpc-agent.yaml", "grpc-simple.yaml",
     "waypoint.yaml", "kube-gateway.yaml", "agentgateway.yaml", "agentgateway-waypoint.yaml"],
)
def test_every_template_in_the_configmap_parses_with_the_injection_funcs(name):
    text = require_shared(TEMPLATES / name).read_text()
    Template.parse(text, name="inject", funcs=FUNCS)
    used = set(re.findall(r"\b(annotation|isset|valueOrDefault|toYaml|structToJSON|protoToJSON|fromJSON|omitNil|"
                          r"excludeInboundPort|appendMultusNetwork|directory|otelResourceAttributes|strdict|toJsonMap)\b", text))
    assert used <= FUNCS.keys()
    with pytest.raises(TemplateError) as info:
        Template.parse(text + "{{ required `x` 1 }}", name="inject", funcs=FUNCS)  # Helm's, not sprig's
    assert info.value.phase == "parse"


# ---------------------------------------------------------------------------
# Typed Go data, as the injector builds it (meshctl.inject.template_data): metav1.ObjectMeta,
# []corev1.Container, the ProxyConfig/MeshConfig protos


def typed_data(meta=None, containers=None, proxy=None, values=None, mesh=None) -> SidecarTemplateData:
    return SidecarTemplateData(
        ObjectMeta=kube_class("ObjectMeta").from_json(meta or {}),
        Spec=kube_class("PodSpec").from_json({"containers": containers or []}),
        ProxyConfig=Ptr(ProxyConfig).wrap(proxy if proxy is not None else {}),
        MeshConfig=Ptr(MeshConfig).wrap(mesh or {}),
        Values=values or {},
    )


def test_typed_object_meta_annotations():
    data = typed_data(meta={"annotations": {"a": "1", "empty": ""}}, values={"port": 15020.0})
    assert run('{{ annotation .ObjectMeta "a" "d" }}|{{ annotation .ObjectMeta "empty" "d" }}|'
               '{{ annotation .ObjectMeta "x" .Values.port }}|{{ annotation .ObjectMeta "x" .ProxyConfig.InterceptionMode }}',
               data) == "1||15020|REDIRECT"
    assert run('{{ isset .ObjectMeta.Annotations "a" }} {{ isset .ObjectMeta.Labels "a" }}', data) == "true false"
    # no annotations at all: a nil map[string]string
    assert run('{{ annotation .ObjectMeta "a" "d" }}', typed_data()) == "d"


def test_typed_index_on_map_string_string_feeds_string_parameters():
    # index gives "" on a missing key of map[string]string, so these calls work as in Istio's templates
    data = typed_data(meta={"annotations": {}})
    assert run("{{ appendMultusNetwork (index .ObjectMeta.Annotations `k8s.v1.cni.cncf.io/networks`) `default/istio-cni` }}",
               data) == "default/istio-cni"
    assert run("{{ fromJSON (index .ObjectMeta.Annotations `sidecar.istio.io/userVolume`) }}", data) == "{}"
    mounts = typed_data(meta={"annotations": {"sidecar.istio.io/userVolumeMount": '{"v": {"mountPath": "/x"}}'}})
    assert run("{{ range $k, $v := fromJSON (index .ObjectMeta.Annotations `sidecar.istio.io/userVolumeMount`) }}"
               "{{ $k }}={{ $v.mountPath }}{{ end }}", mounts) == "v=/x"


def test_typed_map_is_not_a_sprig_dict():
    # sprig's dict functions take map[string]interface{}; Annotations is map[string]string in Go
    with pytest.raises(TemplateError) as info:
        run('{{ hasKey .ObjectMeta.Annotations "a" }}', typed_data(meta={"annotations": {"a": "1"}}))
    assert "expected map[string]interface {}; got map[string]string" in str(info.value)


def test_struct_to_json_of_container_ports_matches_the_pod_ports_golden():
    # injection-template.yaml ISTIO_META_POD_PORTS, and the value in Istio's goldens (hello.yaml.injected)
    template = ('[{{- $first := true }}{{- range $index1, $c := .Spec.Containers }}{{- range $index2, $p := $c.Ports }}'
                "{{- if (structToJSON $p) }}{{if not $first}},{{end}}{{ structToJSON $p }}{{- $first = false }}"
                "{{- end }}{{- end}}{{- end}}]")
    data = typed_data(containers=[{"name": "hello", "ports": [{"name": "http", "containerPort": 80}]}])
    assert run(template, data) == '[{"name":"http","containerPort":80}]'
    data = typed_data(containers=[{"name": "a", "ports": [{"containerPort": 8080, "protocol": "TCP", "hostPort": 0}]},
                                  {"name": "b", "ports": [{"containerPort": 53, "protocol": "UDP", "name": "dns"}]}])
    assert run(template, data) == '[{"containerPort":8080,"protocol":"TCP"},{"name":"dns","containerPort":53,"protocol":"UDP"}]'


def test_typed_container_ports_and_otel():
    containers = [{"name": "hello", "image": "x/hello:1.0", "ports": [{"containerPort": 80}]}]
    data = typed_data(containers=containers, meta={"labels": {"app": "hello"}}, mesh=_otel_mesh("OTEL_SEMANTIC_CONVENTIONS"))
    assert ISTIO_FUNCS["includeInboundPorts"](data.Spec.Containers) == "80"
    template = "{{ otelResourceAttributes .MeshConfig .ObjectMeta.Annotations .ObjectMeta.Labels `ns` .Spec.Containers }}"
    assert run(template, data) == "service.namespace=ns,service.version=1.0,service.instance.id=ns.$(POD_NAME).hello"
    assert run(template, typed_data(containers=containers)) == ""


def test_typed_otel_provider_that_is_a_nil_pointer_reads_like_gos_nil_safe_getters():
    from meshctl.inject.template_funcs import _field

    # A prometheus provider's GetOpentelemetry() is a nil *OpenTelemetryTracingProvider; Istio reads
    # its fields through getters, which give zero values on nil.
    providers = [{"name": "prometheus", "prometheus": {}}, *_otel_mesh("OTEL_SEMANTIC_CONVENTIONS")["extensionProviders"]]
    data = typed_data(containers=[{"name": "hello", "image": "x/hello:1.0"}], mesh={"extensionProviders": providers})
    nil_otel = data.MeshConfig.ExtensionProviders[0].Opentelemetry
    assert nil_otel.is_nil
    assert _field(nil_otel, "ServiceAttributeEnrichment").String() == "DEFAULT"
    assert _field(nil_otel, "Port") == 0
    template = "{{ otelResourceAttributes .MeshConfig .ObjectMeta.Annotations .ObjectMeta.Labels `ns` .Spec.Containers }}"
    assert run(template, data) == "service.namespace=ns,service.version=1.0,service.instance.id=ns.$(POD_NAME).hello"
    assert run(template, typed_data(containers=[{"name": "a"}], mesh={"extensionProviders": providers[:1]})) == ""


def test_proto_to_json_of_a_typed_proxy_config():
    defaults = {"configPath": "./etc/istio/proxy", "drainDuration": "45s", "discoveryAddress": "istiod.istio-system.svc:15012",
                "proxyAdminPort": 15000, "statusPort": 15020,
                "tracing": {"zipkin": {"address": "zipkin.istio-system:9411"}}}
    assert run("{{ protoToJSON .ProxyConfig }}", typed_data(proxy=defaults)) == "{}"
    changed = {**defaults, "drainDuration": "23s", "interceptionMode": "TPROXY", "concurrency": 0,
               "tracing": {}, "proxyMetadata": {"B": "2", "A": "1"}}
    assert run("{{ protoToJSON .ProxyConfig }}", typed_data(proxy=changed)) == (
        '{"drainDuration":"23s","concurrency":0,"interceptionMode":"TPROXY","tracing":{},"proxyMetadata":{"A":"1","B":"2"}}'
    )
    assert run("{{ protoToJSON .ProxyConfig }}", typed_data(proxy={"interceptionMode": "TPROXY"})) == '{"interceptionMode":"TPROXY"}'
    assert ISTIO_FUNCS["formatDuration"](typed_data(proxy=changed).ProxyConfig.DrainDuration) == "23s"


def test_to_yaml_of_typed_values_goes_through_json():
    data = typed_data(containers=[{"name": "a", "ports": [{"containerPort": 80}]}])
    # corev1.Container.Resources is a struct: never omitted by omitempty
    assert run("{{ toYaml .Spec.Containers }}", data) == "- name: a\n  ports:\n  - containerPort: 80\n  resources: {}\n"
    assert run("{{ toYaml .ObjectMeta.Labels }}", data) == "null\n"  # a nil map
