"""The Examples section of every command's --help (docs/reference.md shows them too).

Taken from README and the guides. Each example is run by tests/test_examples.py against a fake
cluster whose sidecars are a real Envoy (pods `reviews-v1-6b7d.bookinfo`,
`productpage-v1-x.bookinfo`, `httpbin-y.foo`, deployment `reviews-v1` in `bookinfo`), the sandbox's
admin URL and SDS socket (`$MESHCTL_ADMIN`, `$MESHCTL_SDS_SOCKET`) and files of those names, so
an example that stops working fails a test. Ambient mode's examples name the cluster of
tests/helpers/ambient.py, served in the same world (namespace `shop`, pod `frontend-6c7d.shop`,
ztunnels `ztunnel-n1|n2.istio-system` on nodes `node-1|2`, waypoint `waypoint` in `shop`, a file
`ztunnel.json`). Shell around the command (`> file`, `| jq`, `source <(...)`) is the user's;
the test runs the meshctl part.

Keys are command paths as `--help` names them (``meshctl proxy-config cluster``); a command
added without examples fails tests/test_examples.py.
"""

from __future__ import annotations

POD = "reviews-v1-6b7d.bookinfo"

# command path -> ((command line, what it shows), ...)
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "meshctl": (
        ("meshctl pc cluster reviews-v1-6b7d.bookinfo", "Envoy's clusters of a sidecar, as istioctl shows them"),
        ("meshctl explain mtls productpage-v1-x.bookinfo reviews:9080", "will this call be mTLS? with the evidence"),
        ("meshctl check -n bookinfo", "fleet health checks (exit 79 when one fails)"),
    ),
    "meshctl authz": (("meshctl authz check httpbin-y.foo", "the AuthorizationPolicies a proxy enforces"),),
    "meshctl authz check": (
        ("meshctl authz check httpbin-y.foo -o wide", "istioctl x authz check's table, plus what each rule tests"),
        ("meshctl authz check -f dump.json --query 'policies[].name'", "from a config dump, as data"),
    ),
    "meshctl bootstrap": (
        ("meshctl bootstrap reviews-v1-6b7d.bookinfo", "xds-grpc -> ./etc/istio/proxy/XDS -> istiod, sds-grpc, args, env"),
        ("meshctl bootstrap -f dump.json -o json", "the same from a config dump, as data"),
    ),
    "meshctl check": (
        ("meshctl check -n bookinfo", "every sidecar of a namespace (exit 79 on failure)"),
        ("meshctl check -A -o junit > check.xml", "fleet health for CI"),
        ("meshctl check reviews-v1-6b7d.bookinfo --fail-on warning --cert-warn 30m", "one pod; warnings fail too"),
    ),
    "meshctl check-inject": (("meshctl check-inject deployment/reviews-v1 -n bookinfo", "which injector webhook injects it, and why"),),
    "meshctl completion": (
        ("source <(meshctl completion bash)", "completion in this bash session (zsh: the same with zsh)"),
        ("meshctl completion fish > ~/.config/fish/completions/meshctl.fish", "fish, for good"),
    ),
    "meshctl describe": (("meshctl describe pod reviews-v1-6b7d.bookinfo", "istioctl x describe, checked against Envoy"),),
    "meshctl describe pod": (
        ("meshctl describe pod reviews-v1-6b7d.bookinfo", "istioctl x describe, then each rule checked against Envoy (exit 79 on a mismatch)"),
        ("meshctl describe pod reviews-v1-6b7d.bookinfo -o json", "the same as data"),
    ),
    "meshctl describe service": (("meshctl describe svc reviews -n bookinfo", "a Service, checked against its first meshed pod"),),
    "meshctl explain": (("meshctl explain mtls productpage-v1-x.bookinfo reviews:9080", "mTLS, plaintext or will fail, with evidence"),),
    "meshctl explain mtls": (
        ("meshctl explain mtls productpage-v1-x.bookinfo reviews:9080", "mTLS / plaintext / will fail, with evidence"),
        ("meshctl explain mtls $MESHCTL_ADMIN ratings:9080 --dst-admin $MESHCTL_ADMIN", "both sides from admin URLs (the sandbox)"),
        ("meshctl explain mtls dump.json reviews:9080 --query 'paths[].endpoints[].verdict'", "from a dump file, as data"),
        ("meshctl explain mtls frontend-6c7d.shop backend.shop:9080", "an ambient pod: through the ztunnels and the waypoint (HBONE)"),
    ),
    "meshctl explain request": (
        ("meshctl explain request productpage-v1-x.bookinfo reviews:9080 --path /reviews/1", "what becomes of one HTTP request"),
        ("meshctl explain request $MESHCTL_ADMIN reviews:9080 -X DELETE --path /reviews/1 -H x-user=a -o json", "from the sandbox, as data"),
    ),
    "meshctl inject": (
        ("meshctl inject --dry-run -f deploy.yaml", "kube-inject with the cluster's ConfigMaps (native sidecars if nodes >= 1.33)"),
        ("meshctl inject --dry-run -f deploy.yaml --diff --explain", "what injection changes, and why (on stderr)"),
        ("meshctl inject -f deploy.yaml -o patch", "the webhook's JSON patch"),
        ("meshctl inject -f deploy.yaml --meshConfigMapName istio", "istioctl's spelling: the mesh config from ConfigMap istio"),
    ),
    "meshctl inject-preview": (("meshctl inject-preview deployment/reviews-v1.bookinfo", "drift: the running pod vs what the injector renders now"),),
    "meshctl proxy-config": (
        ("meshctl pc cluster reviews-v1-6b7d.bookinfo", "a sidecar's clusters"),
        ("meshctl pc secret -n bookinfo", "every sidecar of a namespace, with a progress bar on a terminal"),
    ),
    "meshctl proxy-config cluster": (
        ("meshctl pc cluster deploy/reviews-v1.bookinfo --fqdn ratings -o json", "a workload's best ready pod, filtered, as data"),
        ("meshctl pc cluster -n bookinfo -l app=reviews --fqdn ratings", "every matching sidecar, fetched concurrently"),
        ("meshctl pc cluster -f dump.json -o wide", "from a dump file, with each cluster's TLS"),
    ),
    "meshctl proxy-config listener": (
        ("meshctl pc listener reviews-v1-6b7d.bookinfo --port 9080", "the listeners of one port"),
        ("meshctl pc listener --admin $MESHCTL_ADMIN --type HTTP -o yaml", "from an admin URL"),
    ),
    "meshctl proxy-config route": (("meshctl pc route reviews-v1-6b7d.bookinfo --name 9080 -o json", "one route configuration, as istioctl prints it"),),
    "meshctl proxy-config endpoint": (
        ("meshctl pc endpoint reviews-v1-6b7d.bookinfo --cluster 'outbound|9080||ratings.default.svc.cluster.local'", "a cluster's endpoints"),
        ("meshctl pc endpoint reviews-v1-6b7d.bookinfo --status healthy", "healthy endpoints only"),
    ),
    "meshctl proxy-config eds": (
        ("meshctl pc eds reviews-v1-6b7d.bookinfo --cluster 'outbound|9080||ratings.default.svc.cluster.local'", "a cluster's endpoints as the config dump's EDS holds them (istioctl's pc eds)"),
    ),
    "meshctl proxy-config ecds": (("meshctl pc ecds reviews-v1-6b7d.bookinfo", "extension configurations (Wasm, ...)"),),
    "meshctl proxy-config all": (("meshctl pc all reviews-v1-6b7d.bookinfo", "clusters, listeners, routes and secrets at once"),),
    "meshctl proxy-config secret": (
        ("meshctl pc secret reviews-v1-6b7d.bookinfo -o wide", "certificates: expiry as a duration, chain, SPIFFE ids, issuer"),
        ("meshctl pc secret reviews-v1-6b7d.bookinfo --snapshot mesh.tar.gz", "any read-only command, offline, same output"),
    ),
    "meshctl proxy-config tls": (("meshctl pc tls reviews-v1-6b7d.bookinfo --fqdn ratings", "the TLS each cluster's endpoints get, with SDS sources"),),
    "meshctl proxy-config bootstrap": (("meshctl pc bootstrap reviews-v1-6b7d.bookinfo -o short", "the bootstrap in brief (default: istioctl's JSON)"),),
    "meshctl proxy-config log": (
        ("meshctl pc log reviews-v1-6b7d.bookinfo --level http:debug,rbac:debug", "raise some loggers' levels"),
        ("meshctl pc log reviews-v1-6b7d.bookinfo -r", "back to the sidecar's start-up levels"),
    ),
    "meshctl proxy-config stats": (("meshctl pc stats reviews-v1-6b7d.bookinfo", "per cluster: 5xx, connect failures, TLS errors, ejections; RBAC denials"),),
    "meshctl proxy-config diff": (("meshctl pc diff dump.json $MESHCTL_ADMIN", "two dumps: files, admin URLs or pods (exit 79 if they differ)"),),
    "meshctl proxy-config rootca-compare": (("meshctl pc rootca-compare productpage-v1-x.bookinfo -f dump.json", "a pod's trusted roots against a dump's"),),
    "meshctl proxy-status": (
        ("meshctl proxy-status -o wide", "istiod's /debug/syncz, istioctl's columns"),
        ("meshctl proxy-status reviews-v1-6b7d.bookinfo", "what istiod would send vs what Envoy has (exit 79 if they differ)"),
        ("meshctl proxy-status reviews-v1-6b7d.bookinfo --file dump.json", "the same against a saved config dump (istioctl's --file)"),
    ),
    "meshctl rootca-compare": (
        ("meshctl rootca-compare reviews-v1-6b7d.bookinfo --configmap", "a pod's roots against ConfigMap istio-ca-root-cert"),
        ("meshctl rootca-compare reviews-v1-6b7d.bookinfo productpage-v1-x.bookinfo", "two pods"),
    ),
    "meshctl sandbox": (
        ("meshctl sandbox", "a real Envoy configured like a sidecar, until Ctrl-C; it prints its admin URL"),
        ("meshctl sandbox --for 30s --run 'meshctl pc cluster --admin $MESHCTL_ADMIN'", "run commands against it, then stop"),
    ),
    "meshctl sds": (("meshctl sds --socket $MESHCTL_SDS_SOCKET --compare-admin $MESHCTL_ADMIN", "does Envoy hold the certificate the agent serves?"),),
    "meshctl snapshot": (
        ("meshctl snapshot -n bookinfo -o mesh.tar.gz", "dumps, certs, pods, webhooks, ConfigMaps of a namespace; no keys"),
        ("meshctl snapshot -A -o mesh.tar.gz", "the whole mesh"),
    ),
    "meshctl snapshot diff": (("meshctl snapshot diff before.tar.gz after.tar.gz", "per pod and resource type (exit 79 if different)"),),
    "meshctl template": (("meshctl template render custom.tmpl --data pod.yaml --values values.yaml", "a custom injection template, offline"),),
    "meshctl template render": (("meshctl template render custom.tmpl --data pod.yaml --values values.yaml", "a custom injection template, offline"),),
    "meshctl version": (
        ("meshctl version", "client, istiods, proxies by version, skew warnings"),
        ("meshctl version --remote=false -o json", "this client only, as data"),
    ),
    "meshctl waypoint": (("meshctl waypoint list -A", "ambient waypoints everywhere, programmed or not"),),
    "meshctl waypoint list": (
        ("meshctl waypoint list -A -o wide", "REVISION, TRAFFIC TYPE, PROGRAMMED, and what uses each (USED BY)"),
        ("meshctl waypoint list -n shop -o json", "the same as data, with the status conditions"),
    ),
    "meshctl waypoint status": (("meshctl waypoint status -n shop", "each waypoint's Programmed condition (exit 79 if one is not)"),),
    "meshctl ztunnel-config": (
        ("meshctl zc workload frontend-6c7d.shop", "the ztunnel on the pod's node, this workload only"),
        ("meshctl zc certificate --node node-2 -o wide", "a node's ztunnel certificates, decoded"),
    ),
    "meshctl ztunnel-config workload": (
        ("meshctl zc workload frontend-6c7d.shop", "the ztunnel on the pod's node, this workload only"),
        ("meshctl zc w --node node-1 --workload-namespace shop", "a node's ztunnel: the workloads of one namespace"),
        ("meshctl zc workload -f ztunnel.json -o json", "from a saved dump (zc all -o json), as istioctl's JSON"),
    ),
    "meshctl ztunnel-config service": (("meshctl zc svc --node node-2 --service-namespace shop", "services with their VIPs, waypoint and endpoints"),),
    "meshctl ztunnel-config policy": (("meshctl zc policy --node node-1", "the authorization policies ztunnel enforces"),),
    "meshctl ztunnel-config certificate": (
        ("meshctl zc certs ztunnel-n1.istio-system", "istioctl's table: state, valid, serial, validity"),
        ("meshctl zc certificate --node node-2 -o wide", "decoded: EXPIRES IN, SPIFFE ID, issuer, problems"),
    ),
    "meshctl ztunnel-config connections": (("meshctl zc connections frontend-6c7d.shop --direction outbound", "a pod's open connections as its ztunnel tracks them"),),
    "meshctl ztunnel-config all": (
        ("meshctl zc all --node node-1 --with-headers", "every table of one ztunnel"),
        ("meshctl zc all --node node-1 -o json > ztunnel.json", "the dump as ztunnel gives it, to read later with -f"),
    ),
    "meshctl ztunnel-config log": (
        ("meshctl zc log", "every ztunnel's log levels"),
        ("meshctl zc log ztunnel-n1.istio-system --level access:debug", "raise one logger on one ztunnel (-r: back to info)"),
    ),
    "meshctl webhooks": (
        ("meshctl webhooks", "the sidecar injector webhooks"),
        ("meshctl webhooks --pod reviews-v1-6b7d.bookinfo", "which injector webhook fires for a pod, why, and its ConfigMaps"),
        ("meshctl webhooks --labels app=reviews -n bookinfo", "the same for a pod that does not exist yet"),
    ),
}  # fmt: skip


def examples_for(command_path: str) -> tuple[tuple[str, str], ...]:
    """The examples of a command path (``meshctl proxy-config cluster``), or none."""
    return EXAMPLES.get(command_path, ())
