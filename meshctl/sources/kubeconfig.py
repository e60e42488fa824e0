"""Where the API server is and who meshctl is there: kubeconfig files, or a pod's service account.

Read here rather than by the official client's loader (`kubernetes.config`), whose import alone
(the whole client, pydantic, requests, oauthlib) cost ~0.5 s, several times `kubectl get pod`'s
whole run. The rules are kubectl's (client-go clientcmd):

- files: ``--kubeconfig``, else ``$KUBECONFIG`` (a list: the first file to set a value wins, for
  ``current-context`` and for each named cluster, user and context), else ``~/.kube/config``;
  paths inside a file are relative to that file;
- a context names a cluster (``server``, ``certificate-authority[-data]``,
  ``insecure-skip-tls-verify``, ``tls-server-name``, ``proxy-url``) and a user
  (``client-certificate[-data]`` and ``client-key[-data]``, ``token`` or ``tokenFile``,
  ``username``/``password``, an ``exec`` credential plugin, ``as``/``as-groups`` impersonation);
- a user with an ``auth-provider`` (gcp, azure, oidc: deprecated by Kubernetes) is loaded by the
  official client, which implements their token refreshes;
- no kubeconfig file and ``KUBERNETES_SERVICE_HOST`` set: the pod's service account (token, CA,
  namespace).

Every problem is one `SourceError` line naming the file and what is wrong.
"""

from __future__ import annotations

import base64
import json
import os
from urllib.parse import urlsplit

from meshctl.errors import SourceError
from meshctl.errors import short_reason as _short
from meshctl.model.options import KubeOptions

SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
EXEC_PLUGIN_TIMEOUT = 120.0  # an exec plugin may open a browser for a login: bounded, but not short


class ClusterConfig:
    """What a connection to the API server needs.

    A plain class, not a dataclass: every cluster command makes it at import, and dataclasses
    compiles its methods then (~1 ms; issue 16). No field-by-field repr: headers hold credentials.
    """

    def __init__(
        self,
        server: str,  # scheme://host[:port][/path], as the kubeconfig gives it
        context: str = "",  # the context's name ("" in-cluster)
        namespace: str | None = None,  # the context's namespace
        headers: dict[str, str] | None = None,  # Authorization, Impersonate-*
        ssl_context: object = None,  # an ssl.SSLContext for https servers
        tls_server_name: str | None = None,  # the name the server's certificate is checked against
        proxy: str | None = None,  # proxy-url (http or https: a CONNECT tunnel)
    ) -> None:
        self.server = server
        self.context = context
        self.namespace = namespace
        self.headers = {} if headers is None else headers
        self.ssl_context = ssl_context
        self.tls_server_name = tls_server_name
        self.proxy = proxy

    @property
    def host(self) -> str:
        """The server's host name, in ASCII: a non-ASCII name as IDNA makes it, which is what DNS, TLS's server
        name and the Host header take (net/http's cleanHost sends the Host header so).

        Raises:
            UnicodeError: a name IDNA refuses (an empty label, one over 63 characters); from_files checks it.
        """
        host = urlsplit(self.server).hostname or ""
        return host if host.isascii() else host.encode("idna").decode("ascii")

    @property
    def port(self) -> int:
        """The server's port (443/80 by default)."""
        parts = urlsplit(self.server)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def base_path(self) -> str:
        """A path the server's URL holds before API paths ("" usually)."""
        return urlsplit(self.server).path.rstrip("/")


def load(options: KubeOptions) -> ClusterConfig:
    """The cluster and credentials for these flags (`--kubeconfig`, `--context`, `--as`).

    Raises:
        SourceError: no configuration, a missing context, or an unusable entry (one line).
    """
    files = options.kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    paths = [path for path in files.split(os.pathsep) if path]
    existing = [path for path in paths if os.path.exists(path)]
    if not existing:
        if options.kubeconfig:
            from meshctl.errors import InputError

            raise InputError(f"kubeconfig {options.kubeconfig} does not exist")
        if not os.environ.get("KUBERNETES_SERVICE_HOST"):
            raise SourceError(f"no kubeconfig found ({files}) and not running in a pod: set --kubeconfig or KUBECONFIG")
        config = in_cluster()
    else:
        config = from_files(existing, options.context)
    if options.as_user:
        config.headers["Impersonate-User"] = options.as_user
    return config


def in_cluster() -> ClusterConfig:
    """The pod's service account (client-go rest.InClusterConfig)."""
    host, port = os.environ.get("KUBERNETES_SERVICE_HOST", ""), os.environ.get("KUBERNETES_SERVICE_PORT", "")
    if not host or not port:
        raise SourceError("in-cluster configuration failed: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set")
    token_file = os.path.join(SERVICE_ACCOUNT, "token")
    try:
        with open(token_file) as handle:
            token = handle.read().strip()
    except OSError as exc:
        raise SourceError(f"in-cluster configuration failed: cannot read {token_file}: {exc.strerror}") from None
    if not token:
        raise SourceError(f"in-cluster configuration failed: {token_file} is empty")
    host = f"[{host}]" if ":" in host else host
    ca = os.path.join(SERVICE_ACCOUNT, "ca.crt")
    config = ClusterConfig(server=f"https://{host}:{port}", headers={"Authorization": f"Bearer {token}"})
    config.namespace = _read_optional(os.path.join(SERVICE_ACCOUNT, "namespace"))
    config.ssl_context = _ssl_context(ca_file=ca if os.path.exists(ca) else None)
    return config


def _read_optional(path: str) -> str | None:
    try:
        with open(path) as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def read_files(paths: list[str]) -> dict:
    """The kubeconfig files merged as kubectl merges them (the first to set a value wins).

    Each named cluster, user and context remembers the directory of its file (``__dir__``), against
    which its relative paths are resolved.
    """
    merged: dict = {"clusters": {}, "users": {}, "contexts": {}, "current-context": ""}
    for path in paths:
        try:
            with open(path, "rb") as handle:
                document = _parse(handle.read())
        except OSError as exc:
            raise SourceError(f"kubeconfig {path}: {_short(exc)}") from None
        except ValueError as exc:  # yaml.YAMLError is one
            raise SourceError(f"kubeconfig {path}: {_short(exc)}") from None
        if not isinstance(document, dict):
            raise SourceError(f"kubeconfig {path}: not a kubeconfig (a {type(document).__name__})")
        if not merged["current-context"] and isinstance(document.get("current-context"), str):
            merged["current-context"] = document["current-context"]
        for section, inner in (("clusters", "cluster"), ("users", "user"), ("contexts", "context")):
            for entry in document.get(section) or []:
                if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                    raise SourceError(f"kubeconfig {path}: every entry of {section} needs a name")
                value = entry.get(inner) or {}
                if not isinstance(value, dict):
                    raise SourceError(f"kubeconfig {path}: {section[:-1]} {entry['name']!r} is not a mapping")
                merged[section].setdefault(entry["name"], {**value, "__dir__": os.path.dirname(os.path.abspath(path))})
    return merged


def _parse(text: bytes):
    """A kubeconfig's document: JSON (`kubectl config view -o json`, generated configs) read as
    JSON, without importing PyYAML (~10 ms); anything else, or JSON that does not parse, as YAML."""
    if text.lstrip()[:1] == b"{":
        try:
            return json.loads(text) or {}
        except ValueError:
            pass
    import yaml

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.YAMLError as exc:
        raise ValueError(_short(exc)) from None


def from_files(paths: list[str], context_name: str | None) -> ClusterConfig:
    """The context `context_name` (else the current one) of the merged kubeconfig `paths`."""
    where = os.pathsep.join(paths)
    merged = read_files(paths)
    wanted = context_name or merged["current-context"]
    context = merged["contexts"].get(wanted) if wanted else None
    if context is None:
        known = ", ".join(sorted(merged["contexts"])) or "none"
        if context_name:
            raise SourceError(f"context {context_name!r} not found in kubeconfig {where} (contexts: {known})")
        raise SourceError(f"kubeconfig {where} has no current context: use --context (contexts: {known})")
    cluster = merged["clusters"].get(context.get("cluster"))
    if cluster is None or not cluster.get("server"):
        raise SourceError(f"kubeconfig {where}, context {wanted!r}: cluster {context.get('cluster')!r} not found or has no server")
    user = merged["users"].get(context.get("user")) or {}
    config = ClusterConfig(server=str(cluster["server"]), context=wanted, namespace=context.get("namespace") or None)
    config.tls_server_name = cluster.get("tls-server-name") or None
    config.proxy = cluster.get("proxy-url") or None
    what = f"kubeconfig {where}, context {wanted!r}"
    try:
        config.host, config.port  # noqa: B018 (read to be checked once, here, not in every request)
    except ValueError as exc:  # a port out of range or not a number, "[" without "]", a host name IDNA refuses
        # The reason, not the URL: a server URL may hold credentials.
        raise SourceError(f"{what}: the cluster's server URL is not usable: {_short(exc)}") from None
    exec_cert = None
    if user.get("auth-provider"):
        _official_client_credentials(paths, wanted, config, what)
    else:
        exec_cert = _user_credentials(user, cluster, config, what)
    if urlsplit(config.server).scheme == "https":
        ca_data = _data_or_file(cluster, "certificate-authority", what)
        client_cert = exec_cert or (_data_or_file(user, "client-certificate", what), _data_or_file(user, "client-key", what))
        config.ssl_context = _ssl_context(ca_data=ca_data, insecure=bool(cluster.get("insecure-skip-tls-verify")),
                                          client_cert=client_cert, what=what)  # fmt: skip
    if user.get("as"):
        config.headers["Impersonate-User"] = str(user["as"])
    for group in user.get("as-groups") or []:
        # several groups: one header line each (client-go); http.client sends a repeated name joined by ", "
        config.headers["Impersonate-Group"] = ", ".join(filter(None, [config.headers.get("Impersonate-Group"), str(group)]))
    return config


def _resolve(entry: dict, path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(entry.get("__dir__", ""), path)


def _data_or_file(entry: dict, name: str, what: str) -> bytes | None:
    """`name`-data (base64) or the file `name` of a kubeconfig entry, as bytes; None if neither."""
    if entry.get(f"{name}-data"):
        try:
            return base64.b64decode(entry[f"{name}-data"], validate=False)
        except (ValueError, TypeError):
            raise SourceError(f"{what}: {name}-data is not base64") from None
    if entry.get(name):
        path = _resolve(entry, str(entry[name]))
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise SourceError(f"{what}: cannot read {name} {path}: {exc.strerror}") from None
    return None


def _user_credentials(user: dict, cluster: dict, config: ClusterConfig, what: str) -> tuple[bytes, bytes] | None:
    """Authorization from an exec plugin, a token (or token file), or a user name and password;
    returns the client certificate and key an exec plugin gave, if it gave them."""
    if user.get("exec"):
        credential = run_exec_plugin(user["exec"], cluster, config.server, what)
        if credential.get("token"):
            config.headers["Authorization"] = f"Bearer {credential['token']}"
        if credential.get("clientCertificateData") and credential.get("clientKeyData"):
            return credential["clientCertificateData"].encode(), credential["clientKeyData"].encode()
        return None
    token = user.get("token")
    if not token and user.get("tokenFile"):
        path = _resolve(user, str(user["tokenFile"]))
        try:
            with open(path) as handle:
                token = handle.read().strip()
        except OSError as exc:
            raise SourceError(f"{what}: cannot read tokenFile {path}: {exc.strerror}") from None
    if token:
        config.headers["Authorization"] = f"Bearer {token}"
    elif user.get("username") or user.get("password"):
        basic = base64.b64encode(f"{user.get('username', '')}:{user.get('password', '')}".encode()).decode()
        config.headers["Authorization"] = f"Basic {basic}"
    return None


def run_exec_plugin(spec: dict, cluster: dict, server: str, what: str) -> dict:
    """The ``status`` of the ExecCredential an exec credential plugin prints (client-go exec.go).

    The plugin gets the environment plus its ``env``, and ``KUBERNETES_EXEC_INFO`` (the request:
    interactive or not, and the cluster when ``provideClusterInfo`` is set); its stderr is the
    user's (prompts, errors); it must answer within `EXEC_PLUGIN_TIMEOUT`.
    """
    import subprocess
    import sys

    api_version = spec.get("apiVersion") or "client.authentication.k8s.io/v1beta1"
    command = spec.get("command")
    if not command:
        raise SourceError(f"{what}: the exec plugin has no command")
    interactive = spec.get("interactiveMode", "IfAvailable") != "Never" and sys.stdin is not None and sys.stdin.isatty()
    request: dict = {"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": interactive}}
    if spec.get("provideClusterInfo"):
        info = {"server": server, "tls-server-name": cluster.get("tls-server-name"),
                "insecure-skip-tls-verify": bool(cluster.get("insecure-skip-tls-verify")),
                "certificate-authority-data": cluster.get("certificate-authority-data"), "proxy-url": cluster.get("proxy-url")}
        request["spec"]["cluster"] = {key: value for key, value in info.items() if value}
    env = {**os.environ, **{item["name"]: str(item.get("value", "")) for item in spec.get("env") or [] if isinstance(item, dict) and item.get("name")}}
    env["KUBERNETES_EXEC_INFO"] = json.dumps(request)
    argv = [str(command), *(str(arg) for arg in spec.get("args") or [])]
    try:
        done = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stdin=None if interactive else subprocess.DEVNULL,
                              timeout=EXEC_PLUGIN_TIMEOUT, check=False)  # fmt: skip
    except FileNotFoundError:
        hint = f" ({spec['installHint'].strip()})" if spec.get("installHint") else ""
        raise SourceError(f"{what}: exec plugin {command!r} not found{hint}") from None
    except subprocess.TimeoutExpired:
        raise SourceError(f"{what}: exec plugin {command!r} did not answer within {EXEC_PLUGIN_TIMEOUT:g}s") from None
    except OSError as exc:
        raise SourceError(f"{what}: exec plugin {command!r}: {exc.strerror}") from None
    if done.returncode != 0:
        raise SourceError(f"{what}: exec plugin {command!r} exited {done.returncode}")
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        raise SourceError(f"{what}: exec plugin {command!r} did not print an ExecCredential (not JSON)") from None
    if not isinstance(answer, dict) or answer.get("kind") != "ExecCredential" or not isinstance(answer.get("status"), dict):
        raise SourceError(f"{what}: exec plugin {command!r} did not print an ExecCredential with a status")
    if answer.get("apiVersion") != api_version:
        raise SourceError(f"{what}: exec plugin {command!r} answered {answer.get('apiVersion')!r}, not {api_version!r}")
    status = answer["status"]
    if not status.get("token") and not (status.get("clientCertificateData") and status.get("clientKeyData")):
        raise SourceError(f"{what}: exec plugin {command!r} gave neither a token nor a client certificate and key")
    return status


def _official_client_credentials(paths: list[str], context: str, config: ClusterConfig, what: str) -> None:
    """A user with an auth-provider: its token as the official client obtains (and refreshes) it."""
    try:
        from kubernetes import client
        from kubernetes import config as kube_config
        from kubernetes.config.config_exception import ConfigException
    except ImportError:
        raise SourceError(f"{what}: the user's auth-provider needs the kubernetes package") from None
    configuration = client.Configuration()
    try:
        kube_config.load_kube_config(os.pathsep.join(paths), context=context, client_configuration=configuration, persist_config=False)
    except ConfigException as exc:
        raise SourceError(f"{what}: {_short(exc)}") from None
    # the header the generated client would send ("BearerToken" -> authorization: Bearer ...)
    for setting in configuration.auth_settings().values():
        if setting.get("in") == "header" and setting.get("value"):
            config.headers[setting["key"].title()] = setting["value"]


def _ssl_context(*, ca_file: str | None = None, ca_data: bytes | None = None, insecure: bool = False,
                 client_cert: tuple[bytes | None, bytes | None] = (None, None), what: str = "in-cluster configuration"):
    """An SSLContext that checks the server against the CA (the system's when none), with the client's
    certificate and key when given (loaded through a private temporary file: ssl reads only files)."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        try:
            if ca_data:
                context.load_verify_locations(cadata=ca_data.decode("ascii", "replace"))
            elif ca_file:
                context.load_verify_locations(cafile=ca_file)
            else:
                import certifi

                context.load_verify_locations(cafile=certifi.where())
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise SourceError(f"{what}: unusable certificate authority: {_short(exc)}") from None
    cert, key = client_cert
    if cert and key:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="meshctl-") as private:  # mode 0700: only us
            cert_path, key_path = os.path.join(private, "client.crt"), os.path.join(private, "client.key")
            for path, data in ((cert_path, cert), (key_path, key)):
                with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
                    handle.write(data)
            try:
                context.load_cert_chain(cert_path, key_path)
            except (ssl.SSLError, OSError) as exc:
                raise SourceError(f"{what}: unusable client certificate or key: {_short(exc)}") from None
    elif cert or key:
        raise SourceError(f"{what}: a client certificate needs its key, and a key its certificate")
    return context
