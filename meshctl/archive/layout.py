"""Member names inside a snapshot archive (format "meshctl-snapshot/v1"; docs/snapshot.md).

Members are written in this order, so that a reader finds the small ones without decompressing
the big ones: ``cluster/`` (API objects, `context.json` first), ``istiod/`` (sync status), then
``pods/`` (what each sidecar's admin API answered), and ``manifest.json`` last (it records what
failed, known only at the end).
"""

from __future__ import annotations

FORMAT = "meshctl-snapshot/v1"
MANIFEST = "manifest.json"
CONTEXT = "cluster/context.json"
# Which lists the snapshot holds in full: {"/api/v1/pods": "*" (every namespace) or [namespaces]}.
# A list of anything else is "not recorded", never an empty answer (a missing fact is not a pass).
RECORDED = "cluster/recorded.json"
# Kinds stored before RECORDED existed, answered from what is there (a snapshot without RECORDED
# holds only the selected sidecar pods: it lists no pods across namespaces).
UNTRACKED_LISTS = frozenset({"/api/v1/namespaces", "/api/v1/configmaps", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"})
CLUSTER_PREFIX = "cluster/"

# What each sidecar's Envoy admin API is asked for: (member stem, admin path). The dump includes
# EDS so that `pc endpoint` and `pc all` work offline; other config_dump variants are served from it.
PROXY_FETCHES = (
    ("config_dump", "config_dump?include_eds"),
    ("clusters", "clusters?format=json"),
    ("server_info", "server_info"),
    ("certs", "certs"),
    ("stats", "stats?format=json"),  # `pc stats`
)
# Admin paths Envoy answers only to POST although they read nothing but state: /logging without a
# query lists the levels (GET is refused since Envoy 1.2x). Captured with POST, served to a POST.
PROXY_READS_BY_POST = ("logging",)  # `pc log`
# Files read from istio-proxy by exec, when the pod allows it (`meshctl bootstrap` reads this one first).
ENVOY_REV = "/etc/istio/proxy/envoy-rev.json"
SYNCZ_PATH = "debug/syncz"
# What each running istiod's debug interface is asked for: (member stem, path).
ISTIOD_FETCHES = (("syncz", SYNCZ_PATH), ("version", "version"))


def object_member(api_prefix: str, plural: str, namespace: str, name: str) -> str:
    """``cluster/api/v1/namespaces/NS/pods/NAME.json``: an API object at the path it is read from."""
    scope = f"/namespaces/{namespace}" if namespace else ""
    return f"cluster{api_prefix}{scope}/{plural}/{name}.json"


def pod_member(namespace: str, name: str, stem: str) -> str:
    """``pods/NS/NAME/STEM.json``: what a sidecar's admin API answered."""
    return f"pods/{namespace}/{name}/{stem}.json"


def istiod_member(name: str, stem: str = "syncz") -> str:
    """``istiod/NAME/STEM.json``: what an istiod's debug interface answered."""
    return f"istiod/{name}/{stem}.json"


def istiod_stem(path: str) -> str | None:
    """The member stem that answers an istiod debug `path`, or None."""
    return next((stem for stem, fetched in ISTIOD_FETCHES if path.lstrip("/") == fetched), None)


def proxy_stem(admin_path: str) -> str | None:
    """The member stem that answers `admin_path`: every config_dump variant reads the full dump.

    A dump holds all sections, and the commands that ask for a masked or filtered one read only
    the sections they asked for, so the answer is the same.
    """
    path = admin_path.lstrip("/")
    if path.startswith("config_dump"):
        return "config_dump"
    if path in PROXY_READS_BY_POST:
        return path
    for stem, fetched in PROXY_FETCHES:
        # a query-less path answers its variants; a ?format=json answer is not the text one
        if path == fetched or (path.split("?", 1)[0] == stem and "?" not in fetched):
            return stem
    return None


def split_pod_member(name: str) -> tuple[str, str, str] | None:
    """(namespace, pod name, stem) of a ``pods/`` member, else None."""
    parts = name.split("/")
    if len(parts) == 4 and parts[0] == "pods" and parts[3].endswith(".json"):
        return parts[1], parts[2], parts[3][: -len(".json")]
    return None


def known_member(name: str) -> bool:
    """Whether `name` is a member this format writes (anything else marks a crafted archive)."""
    if name == MANIFEST:
        return True
    if name.startswith(CLUSTER_PREFIX):
        return name.endswith(".json") and "/../" not in name and "\\" not in name
    parts = name.split("/")
    if parts[0] == "istiod":
        return len(parts) == 3 and parts[2].endswith(".json") and ".." not in parts
    return split_pod_member(name) is not None and ".." not in parts
