"""Typed Go data (meshctl.gotemplate.typed): structs, typed maps, enums, pointers.

Expected behaviour is Go's on the equivalent structs (see ../shared/gotemplate/istio-funcs.md,
"Consequences for a Python engine").
"""

from __future__ import annotations

import pytest

from meshctl.gotemplate import TemplateError, render
from meshctl.gotemplate.typed import (
    ANY,
    INT32,
    INT64,
    STRING,
    BoolValue,
    Duration,
    Enum,
    Field,
    Int32Value,
    ListOf,
    MapOf,
    Ptr,
    Struct,
)


class ContainerPort(Struct):
    go_type = "v1.ContainerPort"
    fields = [
        Field("Name", STRING, "name", omitempty=True),
        Field("ContainerPort", INT32, "containerPort"),
        Field("Protocol", STRING, "protocol", omitempty=True),
    ]


class Container(Struct):
    go_type = "v1.Container"
    fields = [Field("Name", STRING, "name"), Field("Ports", ListOf(ContainerPort), "ports", omitempty=True)]


class ObjectMeta(Struct):
    go_type = "v1.ObjectMeta"
    fields = [
        Field("Name", STRING, "name", omitempty=True),
        Field("Annotations", MapOf(STRING, STRING), "annotations", omitempty=True),
    ]


class InterceptionMode(Enum):
    go_type = "v1alpha1.ProxyConfig_InboundInterceptionMode"
    names = {0: "REDIRECT", 1: "TPROXY", 3: "NONE"}


class TLSSettings(Struct):
    go_type = "v1alpha3.ClientTLSSettings"
    proto = True
    fields = [Field("CaCertificates", STRING, "caCertificates")]


class Tracing(Struct):
    go_type = "v1alpha1.Tracing"
    proto = True
    fields = [Field("TlsSettings", Ptr(TLSSettings), "tlsSettings")]


class ProxyConfig(Struct):
    go_type = "v1alpha1.ProxyConfig"
    proto = True
    fields = [
        Field("DrainDuration", Ptr(Duration), "drainDuration"),
        Field("Concurrency", Ptr(Int32Value), "concurrency"),
        Field("InterceptionMode", InterceptionMode, "interceptionMode"),
        Field("Tracing", Ptr(Tracing), "tracing"),
        Field("ProxyMetadata", MapOf(STRING, STRING), "proxyMetadata"),
        Field("HoldApplicationUntilProxyStarts", Ptr(BoolValue), "holdApplicationUntilProxyStarts"),
    ]


class Data(Struct):
    go_type = "inject.SidecarTemplateData"
    fields = [
        Field("ObjectMeta", ObjectMeta, "objectMeta"),
        Field("Containers", ListOf(Container), "containers"),
        Field("ProxyConfig", Ptr(ProxyConfig), "proxyConfig"),
        Field("Unset", Ptr(ProxyConfig), "unset"),
    ]

    def Greeting(self, name):
        return "hello " + name


DATA = Data.from_json(
    {
        "objectMeta": {"name": "pod", "annotations": {"a": "1", "empty": ""}},
        "containers": [{"name": "app", "ports": [{"containerPort": 80}, {"containerPort": 8080, "name": "http"}]}],
        "proxyConfig": {"interceptionMode": "TPROXY", "concurrency": 2, "drainDuration": "1.5s", "futureField": True},
    }
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A missing key: "" through index, <no value> through field syntax.
        ('{{index .ObjectMeta.Annotations "missing"}}|{{.ObjectMeta.Annotations.missing}}', "|<no value>"),
        ('{{index .ObjectMeta.Annotations "a"}}{{.ObjectMeta.Annotations.a}}', "11"),
        # Absent struct fields are zero values.
        ("[{{.Unset}}][{{(index .Containers 0).Ports}}]", "[<nil>][[{ 80 } {http 8080 }]]"),
        ('{{range .Containers}}{{.Name}}:{{range .Ports}}{{.ContainerPort}}{{.Name}},{{end}}{{end}}', "app:80,8080http,"),
        # Enums print their String(); .String calls it; %d gives the number.
        ('{{.ProxyConfig.InterceptionMode}} {{.ProxyConfig.InterceptionMode.String}} {{printf "%d" .ProxyConfig.InterceptionMode}}', "TPROXY TPROXY 1"),
        ("{{eq .ProxyConfig.InterceptionMode 1}}", "true"),
        # Proto getters are nil-safe, also through nil pointers.
        ("{{.ProxyConfig.HoldApplicationUntilProxyStarts.GetValue}}", "false"),
        ("[{{.ProxyConfig.GetTracing.GetTlsSettings.GetCaCertificates}}]", "[]"),
        ("{{.Unset.GetInterceptionMode}} {{.ProxyConfig.Concurrency.GetValue}}", "REDIRECT 2"),
        ("{{if .Unset}}set{{else}}unset{{end}} {{if .ProxyConfig}}set{{end}} {{if .ObjectMeta}}struct{{end}}", "unset set struct"),
        ('{{.Greeting "mesh"}}', "hello mesh"),
        ("{{len .ObjectMeta.Annotations}} {{len .ProxyConfig.ProxyMetadata}} {{.ProxyConfig.ProxyMetadata}}", "2 0 map[]"),
        ('{{printf "%T %T" .ObjectMeta.Annotations .Containers}}', "map[string]string []v1.Container"),
        # Pointers compare by identity.
        ("{{eq .ProxyConfig .ProxyConfig}} {{eq .Unset .Unset}}", "true true"),
    ],
)
def test_typed_semantics(text, expected):
    assert render(text, DATA) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{.Unset.InterceptionMode}}", "nil pointer evaluating *v1alpha1.ProxyConfig.InterceptionMode"),
        ("{{.ProxyConfig.Nope}}", "can't evaluate field Nope in type *v1alpha1.ProxyConfig"),
        ("{{.ObjectMeta.Name 1}}", "Name has arguments but cannot be invoked as function"),
        ('{{index .ObjectMeta.Annotations 1}}', "value has type int; should be string"),
        # A struct with a map field is not comparable.
        ("{{eq .ObjectMeta .ObjectMeta}}", "non-comparable type {pod map[a:1 empty:]}: v1.ObjectMeta"),
        ("{{.ObjectMeta.Annotations.a.x}}", "can't evaluate field x in type string"),
    ],
)
def test_typed_errors(text, message):
    with pytest.raises(TemplateError) as err:
        render(text, DATA)
    assert err.value.phase == "exec"
    assert message in str(err.value)


def test_python_attribute_access_and_unknown_keys_kept():
    assert DATA.ObjectMeta.Name == "pod"
    assert DATA.ProxyConfig.raw_extra == {"futureField": True}
    assert DATA.Unset.is_nil


def test_to_json_follows_encoding_json():
    port = ContainerPort.from_json({"containerPort": 80})
    assert port.to_json() == {"containerPort": 80}  # omitempty drops "", keeps non-omitempty 0s
    assert ContainerPort().to_json() == {"containerPort": 0}


def test_gojson_writes_any_typed_struct_like_encoding_json():
    from meshctl.goenc import gojson

    class SecurityContext(Struct):
        go_type = "v1.SecurityContext"
        fields = [  # *int64 and *bool in Go: omitempty drops nil only, a pointer to 0/false is written
            Field("RunAsUser", ANY, "runAsUser", omitempty=True),
            Field("Privileged", ANY, "privileged", omitempty=True),
        ]

    assert gojson.marshal(SecurityContext.from_json({"privileged": False, "runAsUser": 0})) == '{"runAsUser":0,"privileged":false}'
    assert gojson.marshal(SecurityContext()) == "{}"
    port = ContainerPort.from_json({"containerPort": 80, "future": 1})
    assert gojson.marshal([port, ContainerPort()]) == '[{"containerPort":80,"future":1},{"containerPort":0}]'
    # protoc-gen-go tags every field of a message omitempty (wrapperspb, durationpb, Istio's protos)
    assert gojson.marshal([BoolValue(), BoolValue(Value=True), Duration.from_json("45s")]) == '[{},{"value":true},{"seconds":45}]'
    proxy = ProxyConfig.from_json({"interceptionMode": "TPROXY", "drainDuration": "2s"})
    assert gojson.marshal([proxy, ProxyConfig()]) == '[{"drainDuration":{"seconds":2},"interceptionMode":1},{}]'


def test_to_proto_json_omits_defaults_and_names_enums():
    # jsonpb writes 0, 3, 6 or 9 fractional digits for durations.
    assert DATA.ProxyConfig.to_proto_json() == {
        "drainDuration": "1.500s",
        "concurrency": 2,
        "interceptionMode": "TPROXY",
        "futureField": True,
    }


def test_to_proto_json_writes_64_bit_integers_as_strings_like_jsonpb():
    class Limits(Struct):
        go_type = "v1alpha1.Limits"
        proto = True
        fields = [Field("Bytes", INT64, "bytes"), Field("Count", INT32, "count"), Field("Inner", Ptr(TLSSettings), "inner")]

    limits = Limits.from_json({"bytes": "5", "count": 3, "inner": {"caCertificates": "/ca.pem"}})
    assert limits.to_proto_json() == {"bytes": "5", "count": 3, "inner": {"caCertificates": "/ca.pem"}}


def test_duration_json_forms():
    assert Duration.from_json("23s").to_proto_json() == "23s"
    assert Duration.from_json("-0.5s").to_proto_json() == "-0.500s"
    assert Duration.from_json("1.000000001s").Nanos == 1


def test_unknown_enum_name_is_rejected():
    with pytest.raises(ValueError, match="unknown value"):
        InterceptionMode("BOGUS")
