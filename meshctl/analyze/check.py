"""Fleet checks (`meshctl check`): one small pure rule per question, run for each sidecar pod.

A rule is ``rule(pod: PodFacts, mesh: MeshFacts) -> list[Finding]``; no finding means the check
passed, ``info`` findings pass with a note, a ``warning`` makes it WARN and an ``error`` FAIL.
Rules are registered in ``CHECKS`` (their order is the row order). Everything a rule needs was
fetched before (the pod's config dump with EDS, istiod pods, webhooks, ConfigMaps, pod IPs), so
rules never do I/O and are tested with data.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from meshctl.analyze.mtls import WORKLOAD_SECRET, ClientFacts, ServerFacts, client_facts, endpoint_verdicts, server_facts
from meshctl.analyze.rootca import ROOT_SECRET, compare_roots, root_bundle_from_pem
from meshctl.analyze.secrets import SecretItem, secret_items
from meshctl.analyze.webhooks import REVISION_LABEL
from meshctl.analyze.ztunnel import parse_rfc3339  # Go's time.Parse(time.RFC3339)
from meshctl.decode.configdump import ConfigDump
from meshctl.errors import DecodeError
from meshctl.model.durations import format_duration, parse_duration  # noqa: F401  (parse_duration: commands/check.py)
from meshctl.model.mesh import PodIndex
from meshctl.model.tabular import Finding

# "unknown": a fact the check needs was not read (denied, not recorded in a snapshot): the check
# neither passes nor fails, it says so (status UNKNOWN).
ERROR, WARNING, UNKNOWN_FACT, INFO = "error", "warning", "unknown", "info"
PASS, WARN, FAIL, UNKNOWN, NOT_CHECKED = "PASS", "WARN", "FAIL", "UNKNOWN", "NOT CHECKED"
# Istio "Supported releases", section "Control Plane/Data Plane Skew"
# (istio.io/latest/docs/releases/supported-releases/#control-planedata-plane-skew): "The Istio
# control plane can be one version ahead of the data plane. However, the data plane cannot be
# ahead of control plane." So a proxy may be at most one minor version behind its istiod.
MAX_MINOR_SKEW = 1
STATUS_ANNOTATION = "sidecar.istio.io/status"


@dataclass(frozen=True)
class PodFacts:
    """What was fetched for one sidecar pod; `dump` is None when its admin API was unreachable."""

    name: str  # pod.namespace
    namespace: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    proxy_image: str = ""
    dump: ConfigDump | None = None
    admin_error: str = ""
    client: ClientFacts | None = None  # SRC's traffic facts, extracted in the first pass (the dump is gone by then)

    @functools.cached_property
    def secrets(self) -> dict[str, SecretItem]:
        """The dynamic SDS secrets by name, certificates parsed once for all rules."""
        return {item.name: item for item in secret_items(self.dump.section("SecretsConfigDump"))}


@dataclass(frozen=True)
class MeshFacts:
    """Facts about the mesh shared by all pods. None = could not be read (`unknown` says why)."""

    now: datetime
    cert_warn: timedelta = timedelta(hours=24)
    istiod_versions: Mapping[str, tuple[str, ...]] | None = None  # revision -> versions of its running istiods
    webhook_revisions: frozenset[str] | None = None  # revisions some injector webhook serves
    root_certs: Mapping[str, bytes | None] = field(default_factory=dict)  # namespace -> root-cert.pem (None: no ConfigMap)
    pods: PodIndex | None = None  # every pod (sidecar or not) by IP; None: not read (unknown["pods"] says why)
    servers: Mapping[str, ServerFacts] = field(default_factory=dict)  # pod key -> its inbound side (pods whose dump was read)
    unknown: Mapping[str, str] = field(default_factory=dict)  # "istiod" | "webhooks" | "pods" | "configmap:NS" -> reason


@dataclass(frozen=True)
class Check:
    """One fleet check: its name, what it checks, and the rule (pod facts, mesh facts) -> findings."""
    name: str
    description: str
    rule: Callable[[PodFacts, MeshFacts], list[Finding]]
    # Needs the other pods' facts (MeshFacts.servers): runs in the second pass, on PodFacts.client.
    cross_pod: bool = False


@dataclass(frozen=True)
class CheckResult:
    """A check's outcome on one pod: status (PASS, WARN, FAIL, NOT CHECKED) and the findings behind it."""
    check: str
    status: str  # PASS | WARN | FAIL | UNKNOWN | NOT CHECKED
    findings: tuple[Finding, ...] = ()

    @property
    def detail(self) -> str:
        """The messages that decided the status (all notes for a PASS)."""
        wanted = {FAIL: ERROR, WARN: WARNING, UNKNOWN: UNKNOWN_FACT}.get(self.status)
        return "; ".join(f.msg for f in self.findings if wanted is None or f.severity == wanted)


def status_of(findings: list[Finding]) -> str:
    """FAIL with any error finding, WARN with any warning, else PASS."""
    severities = {f.severity for f in findings}
    return FAIL if ERROR in severities else WARN if WARNING in severities else UNKNOWN if UNKNOWN_FACT in severities else PASS


# --- rules ------------------------------------------------------------------------------------


def admin_reachable(pod: PodFacts, mesh: MeshFacts) -> list[Finding]:
    """The pod's Envoy admin API answered with a config dump (the other checks need it)."""
    if pod.dump is None:
        return [Finding(ERROR, "admin-unreachable", pod.admin_error or "Envoy admin API not reachable", pod.name)]
    return []


def version_skew(pod: PodFacts, mesh: MeshFacts) -> list[Finding]:
    """The proxy's Istio version is within one minor version of an istiod's."""
    proxy = proxy_version(pod)
    if not proxy:
        return [Finding(UNKNOWN_FACT, "version-unknown", "unknown: proxy version (no ISTIO_VERSION, image tag not a version)", pod.name)]
    if mesh.istiod_versions is None:
        return [Finding(UNKNOWN_FACT, "istiod-unknown", f"unknown: istiod version (proxy {proxy}): {mesh.unknown.get('istiod', 'not read')}", pod.name)]
    revision = pod_revision(pod.labels, pod.annotations)
    versions = mesh.istiod_versions.get(revision, ())
    if not versions:
        return [Finding(INFO, "istiod-missing", f"proxy {proxy}; no running istiod of revision {revision} to compare with", pod.name)]
    findings = []
    for control in sorted(set(versions)):
        problem = skew_problem(proxy, control)
        severity, message = (ERROR, problem) if problem else (INFO, f"proxy {proxy}, istiod {control}")
        findings.append(Finding(severity, "version-skew" if problem else "version", message, pod.name))
    return findings


def skew_problem(proxy: str, control: str) -> str:
    """Why `proxy` may not talk to istiod `control` under Istio's skew policy, or '' when it may."""
    data_plane, control_plane = minor_version(proxy), minor_version(control)
    if data_plane is None or control_plane is None:
        return ""
    if data_plane[0] != control_plane[0]:
        return f"proxy {proxy} and istiod {control} differ in major version"
    behind = control_plane[1] - data_plane[1]
    if behind < 0:
        return f"proxy {proxy} is ahead of istiod {control}: the data plane must not be newer than the control plane"
    if behind > MAX_MINOR_SKEW:
        return f"proxy {proxy} is {behind} minor versions behind istiod {control} (Istio supports {MAX_MINOR_SKEW})"
    return ""


def xds_warming(pod: PodFacts, mesh: MeshFacts) -> list[Finding]:
    """Warming clusters, listeners and secrets.

    A WARNING, not an error: during a push resources warm for milliseconds, and one dump cannot
    tell "stuck" from "just updated"; the message gives the age (last_updated) so a reader can.
    """
    found = []
    for kind, name, updated in warming_resources(pod.dump):
        age = _age(updated, mesh.now)
        since = f" for {age}" if age else ""
        found.append(Finding(WARNING, "warming", f"{kind} {name} warming{since} (endpoints or secrets not delivered)", name))
    return found


def workload_cert(pod: PodFacts, mesh: MeshFacts) -> list[Finding]:
    """The workload certificate is active and not expiring within --cert-warn."""
    item = pod.secrets.get(WORKLOAD_SECRET)
    if item is None:
        return [Finding(ERROR, "cert-missing", f"no workload certificate (SDS secret {WORKLOAD_SECRET} not in the dump)", WORKLOAD_SECRET)]
    if item.status == "WARMING":
        return [Finding(ERROR, "cert-warming", f"workload certificate secret {WORKLOAD_SECRET} is still warming", WORKLOAD_SECRET)]
    cert = item.leading_cert
    if cert is None:
        problems = "; ".join(item.bundle.problems) or "no certificate data"
        return [Finding(ERROR, "cert-unreadable", f"workload certificate unreadable ({problems})", WORKLOAD_SECRET)]
    if cert.not_after <= mesh.now:
        return [Finding(ERROR, "cert-expired", f"workload certificate expired at {cert.not_after_rfc3339}", WORKLOAD_SECRET)]
    if cert.not_before >= mesh.now:
        return [Finding(ERROR, "cert-not-yet-valid", f"workload certificate not valid before {cert.not_before_rfc3339}", WORKLOAD_SECRET)]
    left = cert.not_after - mesh.now
    when = f"expires in {format_duration(left)} ({cert.not_after_rfc3339})"
    if left < mesh.cert_warn:
        return [Finding(WARNING, "cert-expiring", f"workload certificate {when}, within --cert-warn {format_duration(mesh.cert_warn)}", WORKLOAD_SECRET)]
    return [Finding(INFO, "cert", f"workload certificate {when}", WORKLOAD_SECRET)]


def root_ca(pod: PodFacts, mesh: MeshFacts) -> list[Finding]:
    """The proxy's ROOTCA shares a root with ConfigMap istio-ca-root-cert of its namespace."""
    configmap = "istio-ca-root-cert"
    if pod.namespace not in mesh.root_certs:
        reason = mesh.unknown.get(f"configmap:{pod.namespace}", "not read")
        return [Finding(UNKNOWN_FACT, "rootca-unknown", f"unknown: ConfigMap {configmap} not read: {reason}", configmap)]
    pem = mesh.root_certs[pod.namespace]
    if pem is None:
        return [Finding(WARNING, "rootca-configmap-missing", f"ConfigMap {configmap} not found in namespace {pod.namespace}", configmap)]
    item = pod.secrets.get(ROOT_SECRET)
    if item is None or not item.bundle.certs:
        problem = "not in the dump (no SDS root secret yet?)" if item is None else "; ".join(item.bundle.problems) or "holds no certificate"
        return [Finding(ERROR, "rootca-unreadable", f"secret {ROOT_SECRET} {problem}", ROOT_SECRET)]
    try:
        mesh_roots = _configmap_roots(pem, f"ConfigMap {pod.namespace}/{configmap}")
    except DecodeError as exc:
        return [Finding(ERROR, "rootca-unreadable", str(exc), configmap)]
    comparison = compare_roots(ROOT_SECRET, item.bundle, configmap, mesh_roots)
    total = len(comparison.roots)
    if comparison.identical:
        return [Finding(INFO, "rootca", f"{ROOT_SECRET} equals {configmap} ({total} root{'s' if total > 1 else ''})", ROOT_SECRET)]
    if comparison.shared:
        return [Finding(WARNING, "rootca-partial", f"{ROOT_SECRET} and {configmap} share {comparison.shared} of {total} roots (CA migration?)", ROOT_SECRET)]
    return [Finding(ERROR, "rootca-mismatch", f"{ROOT_SECRET} shares no root with {configmap} in {pod.namespace}: mTLS with peers trusting it fails", ROOT_SECRET)]


# Every pod of a namespace compares against the same ConfigMap: parse each distinct PEM once.
_configmap_roots = functools.lru_cache(maxsize=256)(root_bundle_from_pem)


def tls_mode_targets(pod: PodFacts, mesh: MeshFacts) -> list[Finding]:
    """explain mtls's verdict for every outbound endpoint that is a known pod (one engine, so they agree).

    "will fail" is an error (code mtls-to-plain-pod: Istio mTLS to a pod without a sidecar; else
    will-fail); a verdict that depends on a fact not read is a warning (plaintext-to-sidecar: the
    target's inbound listener is unknown, so STRICT would refuse it). A pod's endpoints sharing a
    problem (several clusters or ports) are one finding.
    """
    if mesh.pods is None or not mesh.pods.known:
        reason = mesh.unknown.get("pods") or (mesh.pods.unknown if mesh.pods is not None else "not read")
        return [Finding(UNKNOWN_FACT, "pods-unknown", f"unknown: pods (sidecar or not) behind the endpoints: {reason}", pod.name)]
    client = pod.client if pod.client is not None else client_facts(pod.dump, mesh.pods)
    if not client.has_eds:
        return [Finding(UNKNOWN_FACT, "no-eds", "unknown: endpoints (the dump was fetched without config_dump?include_eds)", pod.name)]
    grouped: dict[tuple[str, str, str, str], list] = {}
    for endpoint, result in endpoint_verdicts(client, mesh.pods, mesh.servers, now=mesh.now):
        if result.problems:
            grouped.setdefault((ERROR, result.code, result.problems[0], result.target), []).append(endpoint)
        elif result.cautions:
            grouped.setdefault((WARNING, result.code, result.cautions[0], result.target), []).append(endpoint)
    findings = []
    for (severity, code, message, _), endpoints in grouped.items():
        first = endpoints[0]
        more = f", {len(endpoints) - 1} more endpoint{'s' if len(endpoints) > 2 else ''}" if len(endpoints) > 1 else ""
        findings.append(Finding(severity, code, f"{message} ({first.cluster} -> {first.ip}:{first.port}{more})", first.cluster))
    return findings


def injector_revision(pod: PodFacts, mesh: MeshFacts) -> list[Finding]:
    """An injector webhook serves the pod's revision (else a restart would lose the sidecar)."""
    revision = pod_revision(pod.labels, pod.annotations)
    if mesh.webhook_revisions is None:
        return [Finding(UNKNOWN_FACT, "webhooks-unknown", f"unknown: webhooks not read (revision {revision}): {mesh.unknown.get('webhooks', '')}", pod.name)]
    if revision in mesh.webhook_revisions:
        return [Finding(INFO, "revision", f"revision {revision} has an injector webhook", pod.name)]
    istiods = (mesh.istiod_versions or {}).get(revision)
    if istiods:
        return [Finding(WARNING, "revision-no-webhook",
                        f"injected by revision {revision}: istiod still runs but no webhook injects it any more (a restart changes the sidecar)",
                        pod.name)]  # fmt: skip
    return [Finding(ERROR, "revision-gone", f"injected by revision {revision}, which no webhook (nor running istiod) serves any more", pod.name)]


CHECKS: list[Check] = [
    Check("admin-api", "Envoy admin API reachable (port-forward or exec)", admin_reachable),
    Check("version-skew", f"proxy at most {MAX_MINOR_SKEW} minor version behind its istiod, never ahead", version_skew),
    Check("xds-warming", "no cluster, listener or secret warming", xds_warming),
    Check("workload-cert", "workload certificate valid and not expiring within --cert-warn", workload_cert),
    Check("root-ca", "ROOTCA equals ConfigMap istio-ca-root-cert (root by root)", root_ca),
    Check("tls-mode", "explain mtls's verdict for every endpoint that is a pod: none will fail", tls_mode_targets, cross_pod=True),
    Check("injector-revision", "the sidecar's revision still has an injector webhook", injector_revision),
]


def run_checks(pod: PodFacts, mesh: MeshFacts, checks: list[Check] = CHECKS) -> list[CheckResult]:
    """All checks for one pod; an unreachable admin API is the one (failed) result."""
    if pod.dump is None:
        findings = admin_reachable(pod, mesh)
        return [CheckResult(checks[0].name, status_of(findings), tuple(findings))]
    results = []
    for check in checks:
        findings = check.rule(pod, mesh)
        results.append(CheckResult(check.name, status_of(findings), tuple(findings)))
    return results


@dataclass(frozen=True)
class FirstPass:
    """One pod after the first pass: the per-pod results, and the small facts the second pass needs."""

    pod: PodFacts  # without its dump
    results: tuple[CheckResult, ...]
    server: ServerFacts | None = None


def first_pass(pod: PodFacts, mesh: MeshFacts, checks: list[Check] = CHECKS) -> FirstPass:
    """The checks that need only this pod, and its traffic facts (so the dump can be freed)."""
    results = run_checks(pod, mesh, [c for c in checks if not c.cross_pod])
    if pod.dump is None:
        return FirstPass(pod, tuple(results))
    client = client_facts(pod.dump, mesh.pods) if mesh.pods is not None else None
    light = PodFacts(pod.name, pod.namespace, pod.labels, pod.annotations, pod.proxy_image, None, pod.admin_error, client)
    return FirstPass(light, tuple(results), server_facts(pod.dump, pod.name))


def second_pass(done: FirstPass, mesh: MeshFacts, checks: list[Check] = CHECKS) -> list[CheckResult]:
    """The cross-pod checks (mesh.servers filled from every first pass), merged in CHECKS order."""
    if done.server is None:
        return list(done.results)  # admin API unreachable: its one failed row
    cross = {}
    for check in checks:
        if check.cross_pod:
            findings = check.rule(done.pod, mesh)
            cross[check.name] = CheckResult(check.name, status_of(findings), tuple(findings))
    by_name = {r.check: r for r in done.results} | cross
    return [by_name[c.name] for c in checks if c.name in by_name]


# --- facts from API objects (pure helpers the command uses) -----------------------------------


def pod_revision(labels: Mapping[str, str], annotations: Mapping[str, str]) -> str:
    """The injecting revision: label istio.io/rev, else sidecar.istio.io/status "revision", else "default"."""
    if labels.get(REVISION_LABEL):
        return labels[REVISION_LABEL]
    try:
        status = json.loads(annotations.get(STATUS_ANNOTATION) or "{}")
    except ValueError:
        status = {}
    revision = status.get("revision") if isinstance(status, dict) else None
    return str(revision) if revision else "default"


def proxy_version(pod: PodFacts) -> str:
    """ISTIO_VERSION from the bootstrap's node metadata, else the istio-proxy image tag."""
    bootstrap = (pod.dump.section("BootstrapConfigDump") if pod.dump else None) or {}
    metadata = ((bootstrap.get("bootstrap") or {}).get("node") or {}).get("metadata") or {}
    version = metadata.get("ISTIO_VERSION")
    if isinstance(version, str) and minor_version(version):
        return version
    return image_version(pod.proxy_image)


def image_version(image: str) -> str:
    """`docker.io/istio/proxyv2:1.24.2-distroless` -> "1.24.2"; '' when the tag is no version."""
    name = image.split("@", 1)[0]
    tag = name.rpartition(":")[2] if ":" in name.rpartition("/")[2] else ""
    match = re.match(r"v?(\d+\.\d+(?:\.\d+)?)", tag)
    return match.group(1) if match else ""


def minor_version(version: str) -> tuple[int, int] | None:
    """(major, minor) of a version such as ``1.22.3`` or ``1.22-dev``; None when it is not one."""
    match = re.match(r"v?(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else None


def istiod_versions(pods: list[dict]) -> dict[str, tuple[str, ...]]:
    """revision -> versions of running istiod pods (from the `discovery` container's image tag)."""
    found: dict[str, list[str]] = {}
    for pod in pods:
        if (pod.get("status") or {}).get("phase") != "Running":
            continue
        labels = (pod.get("metadata") or {}).get("labels") or {}
        for container in (pod.get("spec") or {}).get("containers") or []:
            version = image_version(str(container.get("image", ""))) if container.get("name") == "discovery" else ""
            if version:
                found.setdefault(labels.get(REVISION_LABEL) or "default", []).append(version)
    return {revision: tuple(sorted(set(versions))) for revision, versions in found.items()}


def webhook_revisions(webhooks) -> frozenset[str]:
    """Revisions served by injector webhooks (`analyze.webhooks.injector_webhooks` output)."""
    return frozenset(w.revision or "default" for w in webhooks)


def warming_resources(dump: ConfigDump) -> list[tuple[str, str, str]]:
    """(kind, name, last_updated) of warming clusters, listeners and secrets, in dump order."""
    found = []
    for entry in (dump.section("ClustersConfigDump") or {}).get("dynamic_warming_clusters") or []:
        found.append(("cluster", str((entry.get("cluster") or {}).get("name", "")), str(entry.get("last_updated", ""))))
    for entry in (dump.section("ListenersConfigDump") or {}).get("dynamic_listeners") or []:
        warming = entry.get("warming_state")
        if isinstance(warming, dict):
            found.append(("listener", str(entry.get("name", "")), str(warming.get("last_updated", ""))))
    for entry in (dump.section("SecretsConfigDump") or {}).get("dynamic_warming_secrets") or []:
        found.append(("secret", str(entry.get("name", "")), str(entry.get("last_updated", ""))))
    return found


# --- durations --------------------------------------------------------------------------------



def _age(timestamp: str, now: datetime) -> str:
    # last_updated is a protobuf Timestamp, which Go's protojson reads with time.Parse(time.RFC3339Nano):
    # "T" and "Z" upper case only, seconds and a zone required. What Go refuses (a lower-case "z" or
    # "t", a space, "+0000", no seconds) gets no age rather than one Istio's tools would not give.
    moment = parse_rfc3339(timestamp)
    return format_duration(now - moment) if moment else ""


# --- the report: table, JSON document (docs/json.md meshctl.check/v1), JUnit XML ---------------------------

SCHEMA_VERSION = "meshctl.check/v1"
FAIL_ON = {"error": (FAIL,), "warning": (FAIL, WARN)}


@dataclass(frozen=True)
class PodReport:
    """One pod's check results, or why it was not checked."""
    name: str  # pod.namespace
    namespace: str
    results: tuple[CheckResult, ...] = ()
    not_checked: str = ""  # why the pod was not checked (interrupted), else ''


@dataclass(frozen=True)
class Report:
    """Every pod's report, the --fail-on level, and whether Ctrl-C cut the run short."""
    pods: tuple[PodReport, ...]
    fail_on: str = "error"
    interrupted: bool = False

    def counts(self) -> dict[str, int]:
        """Pods and checks per status: the JSON summary."""
        statuses = [r.status for pod in self.pods for r in pod.results]
        return {"pass": statuses.count(PASS), "warn": statuses.count(WARN), "fail": statuses.count(FAIL),
                "unknown": statuses.count(UNKNOWN), "notChecked": sum(1 for pod in self.pods if pod.not_checked)}  # fmt: skip

    @property
    def failing(self) -> int:
        """Checks at or above --fail-on."""
        return sum(1 for pod in self.pods for r in pod.results if r.status in FAIL_ON[self.fail_on])

    def failing_summary(self) -> str:
        """The closing line when checks fail: "3 checks failed on 2 of 9 pods" (never reads as 9 failing pods)."""
        pods = sum(1 for pod in self.pods if any(r.status in FAIL_ON[self.fail_on] for r in pod.results))
        level = "failed" if self.fail_on == "error" else "warned or failed"
        checks = "check" if self.failing == 1 else "checks"
        return f"{self.failing} {checks} {level} on {pods} of {len(self.pods)} {'pod' if len(self.pods) == 1 else 'pods'}"


def sort_pods(pods: list[PodReport]) -> tuple[PodReport, ...]:
    """Reports by namespace, then pod name."""
    return tuple(sorted(pods, key=lambda p: (p.namespace, p.name)))


def report_table(report: Report):
    """The POD, CHECK, STATUS, DETAIL table."""
    from meshctl.model.tabular import Tabular

    rows = []
    for pod in report.pods:
        if pod.not_checked:
            rows.append([pod.name, "-", NOT_CHECKED, pod.not_checked])
        rows.extend([pod.name, r.check, r.status, r.detail or "-"] for r in pod.results)
    return Tabular(columns=["POD", "CHECK", "STATUS", "DETAIL"], rows=rows, padding=3, empty_msg="No sidecar pods found.")


def report_document(report: Report) -> dict:
    """The `-o json` document; its schema is meshctl.check/v1 in docs/json.md (change both together)."""
    counts = report.counts()
    return {
        "schemaVersion": SCHEMA_VERSION,
        "result": "fail" if report.failing else "pass",
        "failOn": report.fail_on,
        "interrupted": report.interrupted,
        "summary": {"pods": len(report.pods), "checks": counts["pass"] + counts["warn"] + counts["fail"] + counts["unknown"], **counts},
        "pods": [
            {
                "pod": pod.name,
                "namespace": pod.namespace,
                "notChecked": pod.not_checked or None,
                "checks": [
                    {"check": r.check, "status": r.status, "detail": r.detail,
                     "findings": [{"severity": f.severity, "code": f.code, "message": f.msg, "target": f.target} for f in r.findings]}
                    for r in pod.results
                ],  # fmt: skip
            }
            for pod in report.pods
        ],
    }
