"""Go's typed view of the Kubernetes objects that injection reads and writes.

Istio decodes every workload into its Go struct and marshals it back, so the output has Go's
shape: ``omitempty`` fields with zero values vanish, non-``omitempty`` ones appear
(``status: {}``, ``resources: {}``, ``containerPort``, ``replicas: 0`` in statuses), pointer fields
keep explicit zeros (``runAsUser: 0``), quantities are canonical (``2000m`` -> ``"2"``).
``normalize(kind, obj)`` applies that round trip to a JSON-like dict.

The schema lists only what changes the output. Fields that are not listed are kept as they are
(Go would drop unknown fields; we keep them, so a gap in this table never loses user data).

Notation, one struct per line: ``Type: field:spec ...`` where spec is
``str|int|bool`` (omitempty scalar: zero values are dropped), ``Q`` (Quantity), ``QMap``
(map of quantities), ``SMap`` (map[string]string, dropped when empty), ``IOS`` (IntOrString),
``any`` (kept as is), another type name (a struct), ``[X]`` (a list of X, dropped when empty).
Suffixes (combinable): ``!`` non-omitempty (always written; a missing struct becomes ``{}``, a missing list or
pointer ``null``, a missing scalar its zero value), ``?`` a pointer scalar (explicit zeros kept),
``*`` a pointer struct (``{}`` kept, ``null`` dropped).
"""

from __future__ import annotations

from meshctl.inject import quantity

_SCHEMA_TEXT = """
ObjectMeta: name:str generateName:str namespace:str uid:str resourceVersion:str generation:int creationTimestamp:str labels:SMap annotations:SMap ownerReferences:[OwnerReference] finalizers:[str] deletionGracePeriodSeconds:int?
OwnerReference: apiVersion:str! kind:str! name:str! uid:str! controller:bool? blockOwnerDeletion:bool?
ListMeta: selfLink:str resourceVersion:str continue:str remainingItemCount:int?
LabelSelector: matchLabels:SMap matchExpressions:[LabelSelectorRequirement]
LabelSelectorRequirement: key:str! operator:str! values:[str]
PodTemplateSpec: metadata:ObjectMeta! spec:PodSpec!
PodSpec: volumes:[Volume] initContainers:[Container] containers:[Container]! ephemeralContainers:[any] restartPolicy:str terminationGracePeriodSeconds:int? activeDeadlineSeconds:int? dnsPolicy:str nodeSelector:SMap serviceAccountName:str serviceAccount:str automountServiceAccountToken:bool? nodeName:str hostNetwork:bool hostPID:bool hostIPC:bool shareProcessNamespace:bool? securityContext:PodSecurityContext* imagePullSecrets:[LocalObjectReference] hostname:str subdomain:str affinity:any schedulerName:str tolerations:[Toleration] hostAliases:[any] priorityClassName:str priority:int? readinessGates:[any] runtimeClassName:str? enableServiceLinks:bool? preemptionPolicy:str? overhead:QMap topologySpreadConstraints:[any] setHostnameAsFQDN:bool? hostUsers:bool? schedulingGates:[any] resourceClaims:[any] resources:ResourceRequirements*
Container: name:str! image:str command:[str] args:[str] workingDir:str ports:[ContainerPort] envFrom:[any] env:[EnvVar] resources:ResourceRequirements! resizePolicy:[any] restartPolicy:str? restartPolicyRules:[any] volumeMounts:[VolumeMount] volumeDevices:[any] livenessProbe:Probe* readinessProbe:Probe* startupProbe:Probe* lifecycle:Lifecycle* terminationMessagePath:str terminationMessagePolicy:str imagePullPolicy:str securityContext:SecurityContext* stdin:bool stdinOnce:bool tty:bool
ContainerPort: name:str hostPort:int containerPort:int! protocol:str hostIP:str
EnvVar: name:str! value:str valueFrom:EnvVarSource*
EnvVarSource: fieldRef:ObjectFieldSelector* resourceFieldRef:ResourceFieldSelector* configMapKeyRef:KeySelector* secretKeyRef:KeySelector*
ObjectFieldSelector: apiVersion:str fieldPath:str!
ResourceFieldSelector: containerName:str resource:str! divisor:Q!
KeySelector: name:str key:str! optional:bool?
ResourceRequirements: limits:QMap requests:QMap claims:[any]
VolumeMount: name:str! readOnly:bool recursiveReadOnly:str? mountPath:str! subPath:str mountPropagation:str? subPathExpr:str
Probe: exec:ExecAction* httpGet:HTTPGetAction* tcpSocket:TCPSocketAction* grpc:GRPCAction* initialDelaySeconds:int timeoutSeconds:int periodSeconds:int successThreshold:int failureThreshold:int terminationGracePeriodSeconds:int?
LifecycleHandler: exec:ExecAction* httpGet:HTTPGetAction* tcpSocket:TCPSocketAction* sleep:SleepAction*
Lifecycle: postStart:LifecycleHandler* preStop:LifecycleHandler* stopSignal:str?
ExecAction: command:[str]
HTTPGetAction: path:str port:IOS! host:str scheme:str httpHeaders:[HTTPHeader]
HTTPHeader: name:str! value:str!
TCPSocketAction: port:IOS! host:str
GRPCAction: port:int! service:str!?
SleepAction: seconds:int!
SecurityContext: capabilities:Capabilities* privileged:bool? seLinuxOptions:any windowsOptions:any runAsUser:int? runAsGroup:int? runAsNonRoot:bool? readOnlyRootFilesystem:bool? allowPrivilegeEscalation:bool? procMount:str? seccompProfile:SeccompProfile* appArmorProfile:any
Capabilities: add:[str] drop:[str]
SeccompProfile: type:str! localhostProfile:str?
PodSecurityContext: seLinuxOptions:any windowsOptions:any runAsUser:int? runAsGroup:int? runAsNonRoot:bool? supplementalGroups:[int] supplementalGroupsPolicy:str? fsGroup:int? sysctls:[any] fsGroupChangePolicy:str? seccompProfile:SeccompProfile* appArmorProfile:any seLinuxChangePolicy:str?
Toleration: key:str operator:str value:str effect:str tolerationSeconds:int?
LocalObjectReference: name:str
Volume: name:str! hostPath:HostPathVolumeSource* emptyDir:EmptyDirVolumeSource* secret:SecretVolumeSource* configMap:ConfigMapVolumeSource* downwardAPI:DownwardAPIVolumeSource* projected:ProjectedVolumeSource* persistentVolumeClaim:PVCVolumeSource* csi:CSIVolumeSource*
HostPathVolumeSource: path:str! type:str?
EmptyDirVolumeSource: medium:str sizeLimit:Q?
SecretVolumeSource: secretName:str items:[KeyToPath] defaultMode:int? optional:bool?
ConfigMapVolumeSource: name:str items:[KeyToPath] defaultMode:int? optional:bool?
KeyToPath: key:str! path:str! mode:int?
DownwardAPIVolumeSource: items:[DownwardAPIVolumeFile] defaultMode:int?
DownwardAPIVolumeFile: path:str! fieldRef:ObjectFieldSelector* resourceFieldRef:ResourceFieldSelector* mode:int?
ProjectedVolumeSource: sources:[VolumeProjection]! defaultMode:int?
VolumeProjection: secret:ConfigMapProjection* downwardAPI:DownwardAPIProjection* configMap:ConfigMapProjection* serviceAccountToken:ServiceAccountTokenProjection* clusterTrustBundle:ClusterTrustBundleProjection*
ConfigMapProjection: name:str items:[KeyToPath] optional:bool?
DownwardAPIProjection: items:[DownwardAPIVolumeFile]
ServiceAccountTokenProjection: audience:str expirationSeconds:int? path:str!
ClusterTrustBundleProjection: name:str? signerName:str? labelSelector:LabelSelector* optional:bool? path:str!
PVCVolumeSource: claimName:str! readOnly:bool
CSIVolumeSource: driver:str! readOnly:bool? fsType:str? volumeAttributes:SMap nodePublishSecretRef:LocalObjectReference*
Pod: metadata:ObjectMeta! spec:PodSpec! status:PodStatus!
PodStatus:
Deployment: metadata:ObjectMeta! spec:DeploymentSpec! status:DeploymentStatus!
DeploymentSpec: replicas:int? selector:LabelSelector* template:PodTemplateSpec! strategy:DeploymentStrategy! minReadySeconds:int revisionHistoryLimit:int? paused:bool progressDeadlineSeconds:int?
DeploymentStrategy: type:str rollingUpdate:RollingUpdate*
RollingUpdate: maxUnavailable:IOS? maxSurge:IOS? partition:int?
DeploymentStatus:
StatefulSet: metadata:ObjectMeta! spec:StatefulSetSpec! status:StatefulSetStatus!
StatefulSetSpec: replicas:int? selector:LabelSelector* template:PodTemplateSpec! volumeClaimTemplates:[PersistentVolumeClaim] serviceName:str podManagementPolicy:str updateStrategy:UpdateStrategy! revisionHistoryLimit:int? minReadySeconds:int persistentVolumeClaimRetentionPolicy:any ordinals:any
UpdateStrategy: type:str rollingUpdate:RollingUpdate*
PersistentVolumeClaim: metadata:ObjectMeta! spec:PersistentVolumeClaimSpec! status:PersistentVolumeClaimStatus!
PersistentVolumeClaimSpec: accessModes:[str] selector:LabelSelector* resources:ResourceRequirements! volumeName:str storageClassName:str? volumeMode:str? dataSource:any dataSourceRef:any volumeAttributesClassName:str?
PersistentVolumeClaimStatus: phase:str accessModes:[str] capacity:QMap conditions:[any]
StatefulSetStatus: observedGeneration:int replicas:int! readyReplicas:int currentReplicas:int updatedReplicas:int currentRevision:str updateRevision:str collisionCount:int? conditions:[any] availableReplicas:int!
DaemonSet: metadata:ObjectMeta! spec:DaemonSetSpec! status:DaemonSetStatus!
DaemonSetSpec: selector:LabelSelector* template:PodTemplateSpec! updateStrategy:UpdateStrategy! minReadySeconds:int revisionHistoryLimit:int?
DaemonSetStatus: currentNumberScheduled:int! numberMisscheduled:int! desiredNumberScheduled:int! numberReady:int! observedGeneration:int updatedNumberScheduled:int numberAvailable:int numberUnavailable:int collisionCount:int? conditions:[any]
ReplicaSet: metadata:ObjectMeta! spec:ReplicaSetSpec! status:ReplicaSetStatus!
ReplicaSetSpec: replicas:int? minReadySeconds:int selector:LabelSelector* template:PodTemplateSpec!
ReplicaSetStatus: replicas:int! fullyLabeledReplicas:int readyReplicas:int availableReplicas:int terminatingReplicas:int? observedGeneration:int conditions:[any]
ReplicationController: metadata:ObjectMeta! spec:ReplicationControllerSpec! status:ReplicationControllerStatus!
ReplicationControllerSpec: replicas:int? minReadySeconds:int selector:SMap template:PodTemplateSpec*
ReplicationControllerStatus: replicas:int! fullyLabeledReplicas:int readyReplicas:int availableReplicas:int observedGeneration:int conditions:[any]
Job: metadata:ObjectMeta! spec:JobSpec! status:JobStatus!
JobSpec: parallelism:int? completions:int? activeDeadlineSeconds:int? podFailurePolicy:any successPolicy:any backoffLimit:int? backoffLimitPerIndex:int? maxFailedIndexes:int? selector:LabelSelector* manualSelector:bool? template:PodTemplateSpec! ttlSecondsAfterFinished:int? completionMode:str? suspend:bool? podReplacementPolicy:str? managedBy:str?
JobStatus:
CronJob: metadata:ObjectMeta! spec:CronJobSpec! status:CronJobStatus!
CronJobSpec: schedule:str! timeZone:str? startingDeadlineSeconds:int? concurrencyPolicy:str suspend:bool? jobTemplate:JobTemplateSpec! successfulJobsHistoryLimit:int? failedJobsHistoryLimit:int?
JobTemplateSpec: metadata:ObjectMeta! spec:JobSpec!
CronJobStatus:
DeploymentConfig: metadata:ObjectMeta! spec:DeploymentConfigSpec! status:DeploymentConfigStatus!
DeploymentConfigSpec: strategy:DeploymentConfigStrategy! minReadySeconds:int triggers:[any]! replicas:int! revisionHistoryLimit:int? test:bool! paused:bool selector:SMap template:PodTemplateSpec*
DeploymentConfigStrategy: type:str customParams:any recreateParams:any rollingParams:any resources:ResourceRequirements! labels:SMap annotations:SMap activeDeadlineSeconds:int?
DeploymentConfigStatus: latestVersion:int! observedGeneration:int! replicas:int! updatedReplicas:int! availableReplicas:int! unavailableReplicas:int! details:any conditions:[any] readyReplicas:int
List: metadata:ListMeta! items:[any]!
"""


class Field:
    """One field of a Kubernetes type: its name, type, and whether it is a list, a pointer or always emitted."""
    __slots__ = ("name", "type", "is_list", "always", "pointer")

    def __init__(self, name: str, spec: str):
        self.name = name
        suffix = spec[len(spec.rstrip("!?*")):]
        self.always = "!" in suffix
        self.pointer = "?" in suffix or "*" in suffix
        spec = spec.rstrip("!?*")
        self.is_list = spec.startswith("[")
        self.type = spec.strip("[]")


def _parse_schema(text: str) -> dict[str, dict[str, Field]]:
    schema = {}
    for line in text.strip().splitlines():
        name, _, fields = line.partition(":")
        schema[name.strip()] = {
            f.name: f for f in (Field(*item.split(":", 1)) for item in fields.split())
        }
    return schema


SCHEMA = _parse_schema(_SCHEMA_TEXT)
_SCALARS = {"str": "", "int": 0, "bool": False}

# (apiVersion, kind) of the objects kube-inject decodes; anything else passes through untouched
# (Istio's injectScheme knows only these workload kinds and List).
WORKLOAD_KINDS = {
    ("v1", "Pod"),
    ("v1", "ReplicationController"),
    ("v1", "List"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("apps.openshift.io/v1", "DeploymentConfig"),
    ("v1", "DeploymentConfig"),  # OpenShift's legacy API group
}


def _value(f: Field, v, present: bool):
    """(keep, value) for one field value under Go's json.Unmarshal + json.Marshal."""
    if not present or v is None:
        if not f.always:
            return False, None
        if f.is_list or f.pointer:
            return True, None
        if f.type in SCHEMA:
            return True, normalize_struct(f.type, {})
        if f.type == "Q":
            return True, "0"
        return True, _SCALARS.get(f.type)
    if f.is_list:
        if not isinstance(v, list):
            return True, v
        if not v and not f.always:
            return False, None
        if f.type in SCHEMA:
            return True, [normalize_struct(f.type, x) if isinstance(x, dict) else x for x in v]
        return True, v
    t = f.type
    if t in SCHEMA:
        return True, normalize_struct(t, v) if isinstance(v, dict) else v
    if t == "SMap":
        return (bool(v), v) if isinstance(v, dict) else (True, v)
    if t == "QMap":
        if not isinstance(v, dict):
            return True, v
        return (bool(v), {k: quantity.canonical(q) for k, q in v.items()})
    if t == "Q":
        return True, quantity.canonical(v)
    if t == "any" or t == "IOS":
        return True, v
    if t == "int" and isinstance(v, float) and v.is_integer():
        v = int(v)
    if not f.pointer and not f.always and v == _SCALARS.get(t) and type(v) is type(_SCALARS.get(t)):
        return False, None
    return True, v


def normalize_struct(type_name: str, obj: dict) -> dict:
    """`obj` as Go writes it back after decoding it into `type_name` (a new dict)."""
    fields = SCHEMA[type_name]
    out = {}
    for name, v in obj.items():
        f = fields.get(name)
        if f is None:
            out[name] = v
            continue
        keep, nv = _value(f, v, True)
        if keep:
            out[name] = nv
    for name, f in fields.items():
        if f.always and name not in obj:
            out[name] = _value(f, None, False)[1]
    return out


def normalize(obj: dict) -> dict:
    """A whole object (with apiVersion/kind) re-serialised through its Go type."""
    kind = obj.get("kind")
    return normalize_struct(kind, obj) if kind in SCHEMA else obj


def is_workload(obj) -> bool:
    """True for objects injection reaches: pods and the workload kinds with a pod template."""
    return isinstance(obj, dict) and (obj.get("apiVersion"), obj.get("kind")) in WORKLOAD_KINDS
