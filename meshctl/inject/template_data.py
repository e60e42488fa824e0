"""The Go-typed data Istio's injection templates run on (``inject.SidecarTemplateData``).

Kubernetes structs are generated from the schema in kubetypes.py (one source of truth for field
names, omitempty and types); the mesh protos (ProxyConfig, MeshConfig, ...) are declared here in
proto field order, which protobuf JSON (``protoToJSON``) follows.
"""

from __future__ import annotations

from meshctl.gotemplate.typed import (
    ANY,
    BOOL,
    FLOAT64,
    INT32,
    INT64,
    STRING,
    UINT32,
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
from meshctl.inject.kubetypes import SCHEMA

# Go field names that are not the JSON name with its first letter upper-cased.
_GO_NAMES = {
    "apiVersion": "APIVersion", "uid": "UID", "hostIP": "HostIP", "podIP": "PodIP", "hostPID": "HostPID",
    "hostIPC": "HostIPC", "httpGet": "HTTPGet", "tcpSocket": "TCPSocket", "grpc": "GRPC", "dnsPolicy": "DNSPolicy",
    "dnsConfig": "DNSConfig", "fsGroup": "FSGroup", "fsGroupChangePolicy": "FSGroupChangePolicy",
    "seLinuxOptions": "SELinuxOptions", "seLinuxChangePolicy": "SELinuxChangePolicy", "tty": "TTY",
    "httpHeaders": "HTTPHeaders", "csi": "CSI", "setHostnameAsFQDN": "SetHostnameAsFQDN",
}
_SCALAR_TYPES = {"str": STRING, "int": INT64, "bool": BOOL}
_KUBE_CLASSES: dict[str, type] = {}


def go_name(json_name: str) -> str:
    """The Go field name of a JSON field (Istio's exceptions, else the name capitalised)."""
    return _GO_NAMES.get(json_name, json_name[:1].upper() + json_name[1:])


def _field_type(spec):
    if spec.type in SCHEMA:
        base = kube_class(spec.type)
        base = Ptr(base) if spec.pointer else base
    elif spec.type == "SMap":
        base = MapOf(STRING, STRING)
    elif spec.type == "QMap":
        base = MapOf(STRING, ANY)
    elif spec.type in _SCALAR_TYPES and not spec.pointer:
        base = _SCALAR_TYPES[spec.type]
    else:
        base = ANY  # pointers to scalars, Quantity, IntOrString, untyped parts: the JSON value (nil when absent)
    return ListOf(base) if spec.is_list else base


def kube_class(type_name: str) -> type:
    """The typed Struct class for a Kubernetes type of the kubetypes schema."""
    cls = _KUBE_CLASSES.get(type_name)
    if cls is None:
        attrs = {
            "go_type": f"v1.{type_name}",
            "fields": [
                Field(go_name(json_name), _field_type(spec), json_name, omitempty=not spec.always)
                for json_name, spec in SCHEMA[type_name].items()
            ],
        }
        if type_name == "ObjectMeta":
            attrs.update(_OBJECT_META_GETTERS)
        cls = _KUBE_CLASSES[type_name] = type(type_name, (Struct,), attrs)
    return cls


def _getter(name):
    return lambda self: self._values[name]


_OBJECT_META_GETTERS = {f"Get{n}": _getter(n) for n in ("Name", "Namespace", "Labels", "Annotations", "GenerateName")}


class TypeMeta(Struct):
    """k8s.io/apimachinery metav1.TypeMeta."""
    go_type = "v1.TypeMeta"
    fields = [
        Field("Kind", STRING, "kind", omitempty=True),
        Field("APIVersion", STRING, "apiVersion", omitempty=True),
    ]


class NamespacedName(Struct):
    """k8s.io/apimachinery types.NamespacedName."""
    go_type = "types.NamespacedName"
    fields = [
        Field("Namespace", STRING, "namespace"),
        Field("Name", STRING, "name"),
    ]


# --------------------------------------------------------------------------- mesh protos (istio.io/api)

class InboundInterceptionMode(Enum):
    """istio.io/api mesh/v1alpha1 ProxyConfig.InboundInterceptionMode."""
    go_type = "v1alpha1.ProxyConfig_InboundInterceptionMode"
    names = {0: "REDIRECT", 1: "TPROXY", 2: "NONE"}


class AuthenticationPolicy(Enum):
    """istio.io/api mesh/v1alpha1 AuthenticationPolicy."""
    go_type = "v1alpha1.AuthenticationPolicy"
    names = {0: "NONE", 1: "MUTUAL_TLS", 1000: "INHERIT"}


class TracingServiceName(Enum):
    """istio.io/api mesh/v1alpha1 ProxyConfig.TracingServiceName."""
    go_type = "v1alpha1.ProxyConfig_TracingServiceName"
    names = {0: "APP_LABEL_AND_NAMESPACE", 1: "CANONICAL_NAME_ONLY", 2: "CANONICAL_NAME_AND_NAMESPACE"}


class TLSMode(Enum):
    """istio.io/api networking/v1alpha3 ClientTLSSettings.TLSmode."""
    go_type = "v1alpha3.ClientTLSSettings_TLSmode"
    names = {0: "DISABLE", 1: "SIMPLE", 2: "MUTUAL", 3: "ISTIO_MUTUAL"}


class ClientTLSSettings(Struct):
    """istio.io/api networking/v1alpha3 ClientTLSSettings."""
    go_type = "v1alpha3.ClientTLSSettings"
    proto = True
    fields = [
        Field("Mode", TLSMode, "mode"),
        Field("ClientCertificate", STRING, "clientCertificate"),
        Field("PrivateKey", STRING, "privateKey"),
        Field("CaCertificates", STRING, "caCertificates"),
        Field("CredentialName", STRING, "credentialName"),
        Field("SubjectAltNames", ListOf(STRING), "subjectAltNames"),
        Field("Sni", STRING, "sni"),
        Field("InsecureSkipVerify", Ptr(BoolValue), "insecureSkipVerify"),
        Field("CaCrl", STRING, "caCrl"),
    ]


class Tracing(Struct):
    """istio.io/api mesh/v1alpha1 Tracing."""
    go_type = "v1alpha1.Tracing"
    proto = True
    fields = [
        Field("Zipkin", ANY, "zipkin"),
        Field("Lightstep", ANY, "lightstep"),
        Field("Datadog", ANY, "datadog"),
        Field("Stackdriver", ANY, "stackdriver"),
        Field("OpenCensusAgent", ANY, "openCensusAgent"),
        Field("CustomTags", ANY, "customTags"),
        Field("MaxPathTagLength", UINT32, "maxPathTagLength"),
        Field("Sampling", FLOAT64, "sampling"),
        Field("TlsSettings", Ptr(ClientTLSSettings), "tlsSettings"),
        Field("EnableIstioTags", Ptr(BoolValue), "enableIstioTags"),
    ]


class ProxyImage(Struct):
    """istio.io/api networking/v1beta1 ProxyImage."""
    go_type = "v1beta1.ProxyImage"
    proto = True
    fields = [
        Field("ImageType", STRING, "imageType"),
    ]


class ProxyConfig(Struct):
    """meshconfig.ProxyConfig, fields in proto declaration order."""

    go_type = "v1alpha1.ProxyConfig"
    proto = True
    fields = [
        Field("ConfigPath", STRING, "configPath"),
        Field("BinaryPath", STRING, "binaryPath"),
        Field("ServiceCluster", STRING, "serviceCluster"),
        Field("DrainDuration", Ptr(Duration), "drainDuration"),
        Field("ParentShutdownDuration", Ptr(Duration), "parentShutdownDuration"),
        Field("DiscoveryAddress", STRING, "discoveryAddress"),
        Field("DiscoveryRefreshDelay", Ptr(Duration), "discoveryRefreshDelay"),
        Field("ZipkinAddress", STRING, "zipkinAddress"),
        Field("StatsdUdpAddress", STRING, "statsdUdpAddress"),
        Field("EnvoyMetricsServiceAddress", STRING, "envoyMetricsServiceAddress"),
        Field("ProxyAdminPort", INT32, "proxyAdminPort"),
        Field("AvailabilityZone", STRING, "availabilityZone"),
        Field("ControlPlaneAuthPolicy", AuthenticationPolicy, "controlPlaneAuthPolicy"),
        Field("CustomConfigFile", STRING, "customConfigFile"),
        Field("StatNameLength", INT32, "statNameLength"),
        Field("Concurrency", Ptr(Int32Value), "concurrency"),
        Field("ProxyBootstrapTemplatePath", STRING, "proxyBootstrapTemplatePath"),
        Field("InterceptionMode", InboundInterceptionMode, "interceptionMode"),
        Field("Tracing", Ptr(Tracing), "tracing"),
        Field("Sds", ANY, "sds"),
        Field("EnvoyAccessLogService", ANY, "envoyAccessLogService"),
        Field("EnvoyMetricsService", ANY, "envoyMetricsService"),
        Field("ProxyMetadata", MapOf(STRING, STRING), "proxyMetadata"),
        Field("TracingServiceName", TracingServiceName, "tracingServiceName"),
        Field("StatusPort", INT32, "statusPort"),
        Field("ExtraStatTags", ListOf(STRING), "extraStatTags"),
        Field("TerminationDrainDuration", Ptr(Duration), "terminationDrainDuration"),
        Field("GatewayTopology", ANY, "gatewayTopology"),
        Field("MeshId", STRING, "meshId"),
        Field("ReadinessProbe", ANY, "readinessProbe"),
        Field("RuntimeValues", MapOf(STRING, STRING), "runtimeValues"),
        Field("ProxyStatsMatcher", ANY, "proxyStatsMatcher"),
        Field("HoldApplicationUntilProxyStarts", Ptr(BoolValue), "holdApplicationUntilProxyStarts"),
        Field("CaCertificatesPem", ListOf(STRING), "caCertificatesPem"),
        Field("Image", Ptr(ProxyImage), "image"),
        Field("PrivateKeyProvider", ANY, "privateKeyProvider"),
        Field("ProxyHeaders", ANY, "proxyHeaders"),
        Field("FileFlushInterval", Ptr(Duration), "fileFlushInterval"),
        Field("FileFlushMinSizeKb", UINT32, "fileFlushMinSizeKb"),
    ]


class ServiceAttributeEnrichment(Enum):
    """istio.io/api mesh/v1alpha1 MeshConfig.ExtensionProvider.OpenTelemetryTracingProvider.ServiceAttributeEnrichment."""
    go_type = "v1alpha1.MeshConfig_ExtensionProvider_ServiceAttributeEnrichment"
    names = {0: "DEFAULT", 1: "OTEL_SEMANTIC_CONVENTIONS"}


class OpenTelemetryTracingProvider(Struct):
    """istio.io/api mesh/v1alpha1 MeshConfig.ExtensionProvider.OpenTelemetryTracingProvider."""
    go_type = "v1alpha1.MeshConfig_ExtensionProvider_OpenTelemetryTracingProvider"
    proto = True
    fields = [
        Field("Service", STRING, "service"),
        Field("Port", UINT32, "port"),
        Field("MaxTagLength", UINT32, "maxTagLength"),
        Field("Http", ANY, "http"),
        Field("Grpc", ANY, "grpc"),
        Field("ResourceDetectors", ANY, "resourceDetectors"),
        Field("DynatraceSampler", ANY, "dynatraceSampler"),
        Field("ServiceAttributeEnrichment", ServiceAttributeEnrichment, "serviceAttributeEnrichment"),
    ]


class ExtensionProvider(Struct):
    """istio.io/api mesh/v1alpha1 MeshConfig.ExtensionProvider."""
    go_type = "v1alpha1.MeshConfig_ExtensionProvider"
    proto = True
    fields = [
        Field("Name", STRING, "name"),
        Field("Opentelemetry", Ptr(OpenTelemetryTracingProvider), "opentelemetry"),
    ]


class InboundTrafficPolicyMode(Enum):
    """istio.io/api mesh/v1alpha1 MeshConfig.InboundTrafficPolicy.Mode."""
    go_type = "v1alpha1.MeshConfig_InboundTrafficPolicy_Mode"
    names = {0: "PASSTHROUGH", 1: "LOCALHOST"}


class InboundTrafficPolicy(Struct):
    """istio.io/api mesh/v1alpha1 MeshConfig.InboundTrafficPolicy."""
    go_type = "v1alpha1.MeshConfig_InboundTrafficPolicy"
    proto = True
    fields = [
        Field("Mode", InboundTrafficPolicyMode, "mode"),
    ]


class MeshConfig(Struct):
    """meshconfig.MeshConfig: the fields templates and template functions read; others are kept raw."""

    go_type = "v1alpha1.MeshConfig"
    proto = True
    fields = [
        Field("ProxyListenPort", INT32, "proxyListenPort"),
        Field("ProxyInboundListenPort", INT32, "proxyInboundListenPort"),
        Field("EnableTracing", BOOL, "enableTracing"),
        Field("IngressService", STRING, "ingressService"),
        Field("DefaultConfig", Ptr(ProxyConfig), "defaultConfig"),
        Field("RootNamespace", STRING, "rootNamespace"),
        Field("TrustDomain", STRING, "trustDomain"),
        Field("TrustDomainAliases", ListOf(STRING), "trustDomainAliases"),
        Field("InboundTrafficPolicy", Ptr(InboundTrafficPolicy), "inboundTrafficPolicy"),
        Field("EnablePrometheusMerge", Ptr(BoolValue), "enablePrometheusMerge"),
        Field("ExtensionProviders", ListOf(Ptr(ExtensionProvider)), "extensionProviders"),
    ]


class SidecarTemplateData(Struct):
    """istio pkg/kube/inject SidecarTemplateData: what injection templates execute on."""
    go_type = "inject.SidecarTemplateData"
    fields = [
        Field("TypeMeta", TypeMeta, "typeMeta"),
        Field("DeploymentMeta", NamespacedName, "deploymentMeta"),
        Field("ObjectMeta", kube_class("ObjectMeta"), "objectMeta"),
        Field("Spec", kube_class("PodSpec"), "spec"),
        Field("ProxyConfig", Ptr(ProxyConfig), "proxyConfig"),
        Field("MeshConfig", Ptr(MeshConfig), "meshConfig"),
        Field("Values", ANY, "values"),
        Field("Revision", STRING, "revision"),
        Field("NativeSidecars", BOOL, "nativeSidecars"),
        Field("ProxyImage", STRING, "proxyImage"),
        Field("ProxyInitImage", STRING, "proxyInitImage"),
        Field("InboundTrafficPolicyMode", STRING, "inboundTrafficPolicyMode"),
        Field("CompliancePolicy", STRING, "compliancePolicy"),
        Field("ProxyUID", ANY, "proxyUID"),
        Field("ProxyGID", ANY, "proxyGID"),
    ]


def build(inputs: dict) -> SidecarTemplateData:
    """SidecarTemplateData from the plain inputs injector._template_inputs() gathers."""
    return SidecarTemplateData(
        TypeMeta=TypeMeta.from_json(inputs["TypeMeta"]),
        DeploymentMeta=NamespacedName.from_json(inputs["DeploymentMeta"]),
        ObjectMeta=kube_class("ObjectMeta").from_json(inputs["ObjectMeta"]),
        Spec=kube_class("PodSpec").from_json(inputs["Spec"]),
        ProxyConfig=Ptr(ProxyConfig).wrap(inputs["ProxyConfig"]),
        MeshConfig=Ptr(MeshConfig).wrap(inputs["MeshConfig"]),
        Values=inputs["Values"],
        Revision=inputs["Revision"],
        NativeSidecars=bool(inputs["NativeSidecars"]),
        ProxyImage=inputs["ProxyImage"],
        ProxyInitImage=inputs["ProxyInitImage"],
        InboundTrafficPolicyMode=inputs["InboundTrafficPolicyMode"],
        CompliancePolicy=inputs["CompliancePolicy"],
        ProxyUID=inputs["ProxyUID"],
        ProxyGID=inputs["ProxyGID"],
    )


def render(template, inputs: dict) -> str:
    """Execute one parsed injection template on the typed data (raises TemplateError)."""
    return template.execute(build(inputs))
