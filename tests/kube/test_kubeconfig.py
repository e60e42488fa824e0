"""meshctl's own kubeconfig loader and HTTP client (sources/kubeconfig.py, sources/kubehttp.py) against
the fake API server over real TLS: CA checks, client certificates, tokens, exec credential plugins,
merged files, proxies, the official client's fallback for auth-provider users, and that no
credential is ever printed.
"""

from __future__ import annotations

import base64
import datetime
import json
import sys

import pytest

from meshctl.errors import InputError, SourceError
from meshctl.model.options import KubeOptions
from meshctl.sources.kube import KubeClient

from fakekube import FakeKube, http_target, istio_pod, pod
from helpers import call_meshctl
from helpers.tcprelay import ConnectProxy

TOKEN = "s3cret-t0ken-value"


def write_config(path, server: str, *, cluster: dict | None = None, user: dict | None = None, yaml: bool = False, **top) -> str:
    """A one-context kubeconfig ("ctx", namespace "bookinfo") at `path`, JSON or YAML; returns the path."""
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "ctx",
        "clusters": [{"name": "c", "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": "u", "user": user or {}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u", "namespace": "bookinfo"}}],
        **top,
    }
    if yaml:
        import yaml as pyyaml

        path.write_text(pyyaml.safe_dump(config))
    else:
        path.write_text(json.dumps(config))
    return str(path)


def read_pod(kubeconfig: str, **options):
    return KubeClient(KubeOptions(kubeconfig=kubeconfig, **options)).read("/api/v1", "pods", "p", "bookinfo")


@pytest.fixture
def tls_kube(tmp_path):
    with FakeKube(tls=True, token=TOKEN, workdir=tmp_path) as kube:
        kube.add(pod("p", "bookinfo"))
        yield kube


def ca_data(kube) -> dict:
    return {"certificate-authority-data": base64.b64encode(kube.ca_pem).decode()}


@pytest.mark.kube
def test_token_and_ca_data(tls_kube, tmp_path):
    path = write_config(tmp_path / "config", tls_kube.url, cluster=ca_data(tls_kube), user={"token": TOKEN})
    assert read_pod(path)["metadata"]["name"] == "p"
    assert KubeClient(KubeOptions(kubeconfig=path)).namespace == "bookinfo"


@pytest.mark.kube
def test_relative_ca_file_and_token_file_resolve_against_the_kubeconfig(tls_kube, tmp_path):
    (tmp_path / "auth").mkdir()
    (tmp_path / "auth" / "ca.pem").write_bytes(tls_kube.ca_pem)
    (tmp_path / "auth" / "token").write_text(TOKEN + "\n")
    path = write_config(tmp_path / "auth" / "config", tls_kube.url,
                        cluster={"certificate-authority": "ca.pem"}, user={"tokenFile": "token"}, yaml=True)  # fmt: skip
    assert not (tmp_path / "auth" / "config").read_text().startswith("{")
    assert read_pod(path)["metadata"]["name"] == "p"


@pytest.mark.kube
def test_an_unknown_ca_is_refused_in_one_line(tls_kube, tmp_path, certs):
    other = certs.pem(certs.root("elsewhere"))
    path = write_config(tmp_path / "config", tls_kube.url,
                        cluster={"certificate-authority-data": base64.b64encode(other).decode()}, user={"token": TOKEN})  # fmt: skip
    with pytest.raises(SourceError, match="CERTIFICATE_VERIFY_FAILED") as caught:
        read_pod(path)
    assert TOKEN not in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.kube
def test_insecure_skip_tls_verify(tls_kube, tmp_path):
    path = write_config(tmp_path / "config", tls_kube.url, cluster={"insecure-skip-tls-verify": True}, user={"token": TOKEN})
    assert read_pod(path)["metadata"]["name"] == "p"


@pytest.mark.kube
def test_tls_server_name_is_the_name_checked(tls_kube, tmp_path):
    """The fake's certificate names 127.0.0.1 and localhost: another tls-server-name fails the check."""
    wrong = write_config(tmp_path / "wrong", tls_kube.url, cluster={**ca_data(tls_kube), "tls-server-name": "api.example"},
                         user={"token": TOKEN})  # fmt: skip
    with pytest.raises(SourceError, match="api.example"):
        read_pod(wrong)
    right = write_config(tmp_path / "right", tls_kube.url, cluster={**ca_data(tls_kube), "tls-server-name": "localhost"},
                         user={"token": TOKEN})  # fmt: skip
    assert read_pod(right)["metadata"]["name"] == "p"


@pytest.mark.kube
def test_a_wrong_token_is_401_and_never_printed(tls_kube, tmp_path):
    path = write_config(tmp_path / "config", tls_kube.url, cluster=ca_data(tls_kube), user={"token": "not-the-token"})
    result = call_meshctl("pc", "cluster", "p.bookinfo", "--kubeconfig", path, "-v")
    assert result.exit_code == 69, result
    assert "401" in result.stderr or "Unauthorized" in result.stderr, result.stderr
    assert "not-the-token" not in result.stderr + result.stdout


def client_certificate(certs, name: str):
    """A CA and a client certificate it signed, valid now (the API server checks the dates)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    root = certs.root("clients", start=now - datetime.timedelta(days=1))
    leaf = certs.workload(root, spiffe=f"spiffe://clients/{name}", start=now - datetime.timedelta(hours=1))
    return root, certs.pem(leaf), certs.key_pem(f"leaf:spiffe://clients/{name}")


@pytest.mark.kube
def test_client_certificate_and_key(tmp_path, certs):
    root, cert, key = client_certificate(certs, "admin")
    with FakeKube(tls=True, workdir=tmp_path, client_ca=certs.pem(root)) as kube:
        kube.add(pod("p", "bookinfo"))
        (tmp_path / "client.crt").write_bytes(cert)
        (tmp_path / "client.key").write_bytes(key)
        files = write_config(tmp_path / "files", kube.url, cluster=ca_data(kube),
                             user={"client-certificate": "client.crt", "client-key": "client.key"})  # fmt: skip
        data = write_config(tmp_path / "data", kube.url, cluster=ca_data(kube),
                            user={"client-certificate-data": base64.b64encode(cert).decode(),
                                  "client-key-data": base64.b64encode(key).decode()})  # fmt: skip
        without = write_config(tmp_path / "without", kube.url, cluster=ca_data(kube))
        assert read_pod(files)["metadata"]["name"] == "p"
        assert read_pod(data)["metadata"]["name"] == "p"
        with pytest.raises(SourceError, match="cannot reach the API server"):
            read_pod(without)


def exec_plugin(tmp_path, status: dict, *, api_version: str = "client.authentication.k8s.io/v1", code: int = 0) -> dict:
    """A kubeconfig `exec` entry running a Python script that records its KUBERNETES_EXEC_INFO and
    prints an ExecCredential with `status`."""
    script = tmp_path / "plugin.py"
    script.write_text(
        "import json, os, sys\n"
        f"open({str(tmp_path / 'exec-info.json')!r}, 'w').write(os.environ['KUBERNETES_EXEC_INFO'])\n"
        f"assert os.environ['PLUGIN_SETTING'] == 'on'\n"
        f"print(json.dumps({{'apiVersion': {api_version!r}, 'kind': 'ExecCredential', 'status': {status!r}}}))\n"
        f"sys.exit({code})\n"
    )
    return {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": sys.executable, "args": [str(script)],
                     "env": [{"name": "PLUGIN_SETTING", "value": "on"}], "provideClusterInfo": True,
                     "interactiveMode": "Never"}}  # fmt: skip


@pytest.mark.kube
def test_exec_credential_plugin_token(tls_kube, tmp_path):
    path = write_config(tmp_path / "config", tls_kube.url, cluster=ca_data(tls_kube), user=exec_plugin(tmp_path, {"token": TOKEN}))
    assert read_pod(path)["metadata"]["name"] == "p"
    info = json.loads((tmp_path / "exec-info.json").read_text())
    assert info["kind"] == "ExecCredential" and info["spec"]["interactive"] is False
    assert info["spec"]["cluster"]["server"] == tls_kube.url


@pytest.mark.kube
def test_exec_credential_plugin_client_certificate(tmp_path, certs):
    root, cert, key = client_certificate(certs, "exec")
    status = {"clientCertificateData": cert.decode(), "clientKeyData": key.decode()}
    with FakeKube(tls=True, workdir=tmp_path, client_ca=certs.pem(root)) as kube:
        kube.add(pod("p", "bookinfo"))
        path = write_config(tmp_path / "config", kube.url, cluster=ca_data(kube), user=exec_plugin(tmp_path, status))
        assert read_pod(path)["metadata"]["name"] == "p"


@pytest.mark.kube
@pytest.mark.parametrize(("status", "options", "message"), [
    ({"token": TOKEN}, {"code": 3}, "exited 3"),
    ({"token": TOKEN}, {"api_version": "client.authentication.k8s.io/v1beta1"}, "answered 'client.authentication.k8s.io/v1beta1'"),
    ({}, {}, "neither a token nor a client certificate"),
])  # fmt: skip
def test_exec_plugin_failures_are_one_line_without_the_token(tls_kube, tmp_path, status, options, message):
    path = write_config(tmp_path / "config", tls_kube.url, cluster=ca_data(tls_kube), user=exec_plugin(tmp_path, status, **options))
    with pytest.raises(SourceError, match=message) as caught:
        read_pod(path)
    assert TOKEN not in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.kube
def test_merged_files_first_value_wins(tls_kube, tmp_path, monkeypatch):
    """KUBECONFIG as a list: current-context and each named entry come from the first file that has them."""
    first = write_config(tmp_path / "first", tls_kube.url, cluster=ca_data(tls_kube), user={"token": TOKEN})
    second = write_config(tmp_path / "second", "https://127.0.0.1:1", user={"token": "other"}, **{"current-context": "other"})
    monkeypatch.setenv("KUBECONFIG", f"{first}:{tmp_path / 'missing'}:{second}")
    client = KubeClient(KubeOptions())
    assert client.context == "ctx" and client.server == tls_kube.url
    assert client.read("/api/v1", "pods", "p", "bookinfo")["metadata"]["name"] == "p"


@pytest.mark.kube
@pytest.mark.parametrize(("config", "error", "message"), [
    ({"context": "nope"}, SourceError, "context 'nope' not found in kubeconfig"),
    ({"kubeconfig": "/no/such/kubeconfig"}, InputError, "kubeconfig /no/such/kubeconfig does not exist"),
])  # fmt: skip
def test_configuration_errors(tls_kube, tmp_path, config, error, message):
    path = write_config(tmp_path / "config", tls_kube.url, cluster=ca_data(tls_kube), user={"token": TOKEN})
    with pytest.raises(error, match=message):
        read_pod(**{"kubeconfig": path, **config})


def test_not_a_kubeconfig(tmp_path):
    (tmp_path / "config").write_text("- just\n- a list\n")
    with pytest.raises(SourceError, match="not a kubeconfig"):
        read_pod(str(tmp_path / "config"))


@pytest.mark.kube
def test_auth_provider_users_fall_back_to_the_official_client(tmp_path):
    """An oidc auth-provider (deprecated, not handled by the light path): the official client's loader
    supplies its id-token, the request still goes over meshctl's HTTP."""

    def part(document: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")

    id_token = ".".join([part({"alg": "RS256"}), part({"iss": "https://issuer.example", "exp": 4102444800}), "c2ln"])
    with FakeKube(tls=True, token=id_token, workdir=tmp_path) as kube:
        kube.add(pod("p", "bookinfo"))
        oidc = {"auth-provider": {"name": "oidc", "config": {"client-id": "meshctl", "id-token": id_token,
                                                              "idp-issuer-url": "https://issuer.example"}}}  # fmt: skip
        path = write_config(tmp_path / "config", kube.url, cluster=ca_data(kube), user=oidc)
        assert read_pod(path)["metadata"]["name"] == "p"


@pytest.fixture
def proxy():
    proxy = ConnectProxy()
    yield proxy
    proxy.close()


@pytest.mark.kube
def test_proxy_url_carries_api_reads_and_port_forwards(tls_kube, tmp_path, proxy, istio_testdata):
    """pc cluster through a kubeconfig proxy-url (with credentials, never printed): the GET and the
    port-forward websocket both go through the tunnel, one connection (the dump came through it)."""
    dump = (istio_testdata / "istioctl/pkg/proxyconfig/testdata/config_dump.json").read_bytes()
    with http_target({"/config_dump?include_eds": dump, "/config_dump": dump}) as target:
        tls_kube.add(istio_pod("reviews-v1", "bookinfo"))
        tls_kube.forward_port(15000, target)
        proxied = proxy.url.replace("http://", "http://alice:pr0xy-pass@")
        path = write_config(tmp_path / "config", tls_kube.url, cluster={**ca_data(tls_kube), "proxy-url": proxied}, user={"token": TOKEN})
        result = call_meshctl("pc", "cluster", "reviews-v1.bookinfo", "--kubeconfig", path, "-o", "json", "-v")
    assert result.exit_code == 0, result
    assert json.loads(result.stdout)
    assert proxy.targets == [tls_kube.url.removeprefix("https://")]
    assert sum(proxy.downstream) > len(dump)
    assert set(proxy.authorizations) == {"Basic " + base64.b64encode(b"alice:pr0xy-pass").decode()}
    assert "pr0xy-pass" not in result.stderr and TOKEN not in result.stderr


@pytest.mark.kube
def test_environment_proxy_and_no_proxy(tls_kube, tmp_path, proxy, monkeypatch):
    path = write_config(tmp_path / "config", tls_kube.url, cluster=ca_data(tls_kube), user={"token": TOKEN})
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert read_pod(path)["metadata"]["name"] == "p"
    assert proxy.targets == [tls_kube.url.removeprefix("https://")]
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert read_pod(path)["metadata"]["name"] == "p"
    assert len(proxy.targets) == 1


@pytest.mark.kube
def test_only_http_proxies(tls_kube, tmp_path):
    path = write_config(tmp_path / "config", tls_kube.url, cluster={**ca_data(tls_kube), "proxy-url": "socks5://u:pw@127.0.0.1:1080"})
    with pytest.raises(SourceError, match=r"proxy socks5://127.0.0.1:1080: only http:// proxies") as caught:
        read_pod(path)
    assert "pw" not in str(caught.value)


@pytest.mark.kube
def test_in_cluster_service_account(tls_kube, tmp_path, monkeypatch):
    """No kubeconfig file and KUBERNETES_SERVICE_HOST set: the pod's service account (token, CA, namespace)."""
    from meshctl.sources import kubeconfig

    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text(TOKEN)
    (account / "ca.crt").write_bytes(tls_kube.ca_pem)
    (account / "namespace").write_text("bookinfo\n")
    monkeypatch.setattr(kubeconfig, "SERVICE_ACCOUNT", str(account))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(tls_kube.port))
    client = KubeClient(KubeOptions())
    assert client.context == "" and client.namespace == "bookinfo"
    assert client.read("/api/v1", "pods", "p", "bookinfo")["metadata"]["name"] == "p"
    (account / "token").write_text("")
    with pytest.raises(SourceError, match="in-cluster configuration failed: .*token is empty"):
        KubeClient(KubeOptions())
