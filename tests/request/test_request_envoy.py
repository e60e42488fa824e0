"""`explain request` against real Envoy: hundreds of random requests through two client sidecars
and an RBAC-guarded server sidecar (meshctl.sandbox.mesh); every prediction must be what Envoy did.

For each request the explainer (pure, over the proxies' live config dumps) predicts the outcomes
(several for weighted clusters); Envoy's answer is the response code, whether the backend app
answered, the client's access-log upstream cluster and response flags, and the server's
RBAC response-code details (which name the denying policy). Unknown predictions are counted, not
compared; every evaluated one must agree.
"""

from __future__ import annotations

import random

import pytest

from meshctl.analyze.request import CONNECTION, DENIED, DIRECT, FORWARDED, NO_CLUSTER, NO_HEALTHY, NO_ROUTE, REDIRECT, UNKNOWN, HttpRequest, RequestExplainer

pytestmark = [pytest.mark.envoy, pytest.mark.slow]

REQUESTS = 240
SEED = 17

PATHS = [
    "/", "/get", "/get?x=1", "/get?debug=1", "/data", "/DATA", "/data?x=1", "/data/", "/status/teapot", "/status/teapot?x", "/status/200",
    "/old/x", "/old", "/api/v1/items", "/api/v12/", "/api/vx/items", "/api/v1", "/admin", "/admin/users", "/administrator",
    "/admin?x=1", "/Admin", "//admin", "/search?q=1", "/search?q", "/search?qq=1", "/search", "/search?a=1&q=2", "/inv",
    "/inventory", "/range", "/range/x", "/gone", "/empty/x", "/plain/x", "/custom/x", "/custom", "/dry/x", "/foo/../admin",
    "/./data", "/a/./b/../get", "/post", "/put", "/private/x", "/privately", "/any/thing", "/Case/x", "/case/x", "/headers",
    "/healthz/dst", "/get%20x", "/tcp", "/tcp/x", "/tpl/x/end", "/files/a/b",
]  # fmt: skip
METHODS = ["GET"] * 6 + ["HEAD", "POST", "POST", "PUT", "PUT", "DELETE", "PATCH", "OPTIONS"]
HEADERS = {
    "x-version": ["v1", "v2", "V2"],
    "x-block": ["yes", "Yes", "true", "no"],
    "x-team": ["blue", "green-2", "red", "Blue", "greenish"],
    "x-debug": ["1", "0", ""],
    "x-n": ["5", "10", "19", "20", "abc", "+15", "-3"],
}


# Requests every run sends, at the edges of Envoy's semantics (the random ones may miss them).
EDGES = [
    ("curl", "GET", "/./data", []), ("curl", "GET", "/foo/../admin", []), ("curl", "GET", "/a/./b/../get", []),
    ("curl", "GET", "/admin/../get", []), ("sleep", "GET", "/admin/./x", []), ("curl", "GET", "/admin/", []),
    ("curl", "POST", "/post", [("x-team", "blue"), ("x-team", "red")]), ("curl", "POST", "/post", [("x-team", "green-2"), ("x-team", "red")]),
    ("curl", "POST", "/post", [("x-team", "Blue")]), ("curl", "POST", "/post", [("x-team", "blue")]), ("curl", "POST", "/post", []),
    ("sleep", "GET", "/range", [("x-n", "20")]), ("sleep", "GET", "/range", [("x-n", "10")]), ("sleep", "GET", "/range", [("x-n", "19")]),
    ("sleep", "GET", "/range", [("x-n", "+15")]), ("sleep", "GET", "/range", [("x-n", " 15 ")]), ("sleep", "GET", "/range", [("x-n", "1e1")]),
    ("sleep", "GET", "/inv", []), ("sleep", "GET", "/inv", [("x-debug", "1")]), ("sleep", "GET", "/inv", [("x-debug", "0")]),
    ("sleep", "GET", "/inv", [("x-debug", "")]), ("curl", "PUT", "/anything", []), ("curl", "PATCH", "/any/x", []),
    ("curl", "OPTIONS", "/any/x", []), ("curl", "GET", "/any/x", []), ("sleep", "GET", "/private/x", []), ("curl", "GET", "/privately", []),
    ("sleep", "GET", "/DATA", []), ("sleep", "GET", "/Data?x", []), ("sleep", "GET", "/admin", []), ("sleep", "GET", "/adminx", []),
    ("curl", "GET", "/healthz/dst", []), ("sleep", "GET", "/healthz/dst", []), ("curl", "GET", "/get", [("x-block", "yes")]),
    ("curl", "GET", "/get", [("x-block", "Yes")]), ("sleep", "GET", "/get", [("x-block", "true")]), ("sleep", "GET", "/search?q", []),
    ("sleep", "GET", "/search?a=1&q=2", []), ("sleep", "GET", "/search?qq=1", []), ("sleep", "DELETE", "/dry/x", []),
    ("sleep", "GET", "/Case/x", []), ("sleep", "GET", "/case/x", []), ("sleep", "GET", "/api/v1/", []), ("sleep", "GET", "/api/v/x", []),
    ("sleep", "GET", "/get", [("x-version", "v2")]), ("sleep", "GET", "/get", [("x-version", "V2")]), ("curl", "HEAD", "/status/x", []),
    # a header sent twice: one matching value is enough (then invert_match inverts); no comma splitting
    ("sleep", "GET", "/get", [("x-version", "v1"), ("x-version", "v2")]), ("sleep", "GET", "/get", [("x-version", "v2,v1")]),
    ("sleep", "GET", "/inv", [("x-debug", "0"), ("x-debug", "1")]), ("curl", "GET", "/get", [("x-block", "no"), ("x-block", "yes")]),
    ("curl", "POST", "/post", [("x-team", "red,blue")]),
    # DST's normalize_path: escaped unreserved characters are decoded before RBAC (%61dmin is /admin)
    ("curl", "GET", "/%61dmin", []), ("curl", "GET", "/x/%2e%2e/admin", []), ("curl", "GET", "/%67et", []),
    ("curl", "GET", "/get%2fx", []), ("sleep", "GET", "/%7Eget", []), ("curl", "GET", "/%41dmin", []),
    ("curl", "GET", "/get%20x", []), ("curl", "GET", "/%2561dmin", []), ("curl", "GET", "/data%3f", []),
    # path templates ({*}: one segment of pchars, "*" and "=" included; {**}: the rest, "/" too)
    *[("curl", "GET", path, []) for path in ("/tpl/x/end", "/tpl/x/y/end", "/tpl//end", "/tpl/a%20b/end", "/tpl/a=b/end", "/tpl/a*b/end",
                                               "/files", "/files/", "/files/a/b/c", "/files/a*b", "/tpl/x/end?y=1", "/TPL/x/end", "/tpl/x/end/",
                                               "/tpl/a!b$c&d'e(f)g+h,i;j/end", "/tpl/%2e%2e/end")],
    # remoteIpBlocks: the last X-Forwarded-For entry, when it is an address
    *[("curl", "GET", "/remote", headers) for headers in ([], [("x-forwarded-for", "203.0.113.7")], [("x-forwarded-for", "198.51.100.1, 203.0.113.7")],
                                                            [("x-forwarded-for", "203.0.113.7, 198.51.100.1")], [("x-forwarded-for", "garbage")],
                                                            [("x-forwarded-for", "203.0.113.7,")], [("x-forwarded-for", " 203.0.113.9 ")])],
    # TCP port: network RBAC closes curl's (namespace bar) connection, tcp_proxy forwards sleep's
    ("curl", "GET", "/tcp", []), ("sleep", "GET", "/tcp", []), ("curl", "POST", "/tcp/x", [("x-block", "yes")]),
]
# (client, method, path, authority): AuthorizationPolicy hosts match the authority without case
EDGE_HOSTS = [
    ("curl", "PATCH", "/x", "HTTPBIN.foo.svc.cluster.local:{port}"), ("curl", "PATCH", "/x", "httpbin.foo.svc.cluster.local:{port}"),
    ("curl", "PATCH", "/x", "httpbin.foo.svc:{port}"), ("curl", "PATCH", "/x", "httpbin:{port}"),
]  # fmt: skip
EDGE_AUTHORITIES = ["x.example.com", "example.com", "api.foo", "api.", "foo.example.com:80", "X.EXAMPLE.COM", ".example.com"]


def authorities(port: int) -> list[str]:
    return [f"httpbin:{port}"] * 6 + ["httpbin", "httpbin.foo", f"HTTPBIN.foo.svc.cluster.local:{port}", "x.example.com",
                                       "example.com", "api.foo", "nope.example", f"httpbin.foo.svc:{port}"]  # fmt: skip


def random_requests(rng: random.Random, clients: dict[str, int]) -> list[tuple[str, str, str, list[tuple[str, str]], str]]:
    found = [(client, method, path, headers, f"httpbin:{clients[client]}") for client, method, path, headers in EDGES]
    found += [("sleep", "GET", "/get", [], authority) for authority in EDGE_AUTHORITIES]
    found += [(client, method, path, [], authority.format(port=clients[client])) for client, method, path, authority in EDGE_HOSTS]
    for _ in range(REQUESTS):
        client = rng.choice(sorted(clients))
        headers = [(name, rng.choice(values)) for name, values in HEADERS.items() if rng.random() < 0.3]
        if rng.random() < 0.05:
            headers.append(("x-team", rng.choice(HEADERS["x-team"])))  # the same header twice: joined with ","
        found.append((client, rng.choice(METHODS), rng.choice(PATHS), headers, rng.choice(authorities(clients[client]))))
    return found


def explainers(mesh) -> dict[str, RequestExplainer]:
    from meshctl.decode.configdump import parse

    server = parse(mesh.server.admin().fetch("config_dump?include_eds"))
    return {
        name: RequestExplainer(parse(rig.admin().fetch("config_dump?include_eds")), server, source=name, destination="httpbin")
        for name, rig in mesh.clients.items()
    }


def agrees(outcome, response, client_line: dict, server_line: dict | None) -> bool:
    """Does one predicted outcome describe what Envoy did?"""
    status, cluster, flags = response.status, client_line.get("cluster"), client_line.get("flags")
    details = (server_line or {}).get("details") or ""
    if outcome.kind == FORWARDED:
        return status == 200 and response.app and cluster == outcome.upstream
    if response.app:
        return False
    if outcome.kind == DENIED:
        by_dst = outcome.decided_by == "DST"
        named = not by_dst or details == f"rbac_access_denied_matched_policy[{outcome.policy or 'none'}]"
        return status == 403 and (cluster == outcome.upstream if by_dst else cluster is None) and named
    if outcome.kind in (DIRECT, REDIRECT):
        # A local reply: from SRC (no upstream) or from DST (SRC's upstream is the cluster to DST).
        return status == outcome.status and (cluster is None if outcome.decided_by == "SRC" else cluster == outcome.upstream)
    if outcome.kind == NO_ROUTE:
        return status == 404 and flags == "NR" and cluster is None
    if outcome.kind == NO_CLUSTER:
        return status == outcome.status and flags == "NC"
    if outcome.kind == NO_HEALTHY:
        return status == 503 and flags == "UH" and cluster == outcome.upstream
    if outcome.kind == CONNECTION:
        return status == 503 and cluster == outcome.upstream
    return False


def test_explain_request_agrees_with_real_envoy(mesh, capsys):
    assert mesh.nacks == []
    predictors = explainers(mesh)
    plan = random_requests(random.Random(SEED), dict(mesh.ports))
    sent = []
    for client, method, path, headers, authority in plan:
        response = mesh.send(client, method, path, headers, authority=authority)
        sent.append((client, method, path, headers, authority, response))
    ids = {response.request_id for *_, response in sent}
    client_logs = {name: mesh.access_log(rig, wait_for={r.request_id for c, *_, r in sent if c == name}) for name, rig in mesh.clients.items()}
    # The server's HCM logs every request that reached its HTTP port (Envoy flushes logs each second).
    server_http = f"{mesh.layout.server.ip}:{mesh.layout.server_port}"
    reached = {rid for log in client_logs.values() for rid, line in log.items() if line.get("host") == server_http}
    server_log = mesh.access_log(mesh.server, wait_for=reached)
    assert ids <= set().union(*client_logs.values()), "every request is in its client's access log"

    evaluated, unknown, mismatches, kinds = 0, 0, [], {}
    for client, method, path, headers, authority, response in sent:
        request = HttpRequest("httpbin", mesh.ports[client], method, path, (*headers, ("host", authority)))
        explanation = predictors[client].explain(request)
        client_line = client_logs[client][response.request_id]
        server_line = server_log.get(response.request_id)
        if any(outcome.kind == UNKNOWN for outcome in explanation.outcomes):
            unknown += 1
            continue
        evaluated += 1
        for outcome in explanation.outcomes:
            kinds[outcome.kind] = kinds.get(outcome.kind, 0) + 1
        if not any(agrees(outcome, response, client_line, server_line) for outcome in explanation.outcomes):
            mismatches.append(f"{client} {method} {authority}{path} {headers}: predicted {explanation.summary()!r}; "
                              f"Envoy: {response.status} app={response.app} client={client_line} server={server_line}")  # fmt: skip
    with capsys.disabled():
        print(f"\nexplain request vs real Envoy: {len(sent)} requests, {evaluated} evaluated, {unknown} unknown, "
              f"{evaluated - len(mismatches)}/{evaluated} agree; outcome kinds {dict(sorted(kinds.items()))}")  # fmt: skip
    assert not mismatches, "\n".join(mismatches[:20])
    # The generator must exercise every kind of answer, or the agreement proves little.
    assert {FORWARDED, DENIED, DIRECT, REDIRECT, NO_ROUTE, NO_CLUSTER, NO_HEALTHY, CONNECTION} <= kinds.keys()
    assert unknown <= len(sent) // 4


def test_a_port_taken_before_envoy_binds_it_starts_the_mesh_again():
    import socket

    from meshctl.sandbox.mesh import Mesh
    from meshctl.sandbox.rig import _free_port

    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("0.0.0.0", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        handed_out = []

        def free_port(host: str) -> int:
            # The first client port handed out is one another process holds: Envoy cannot bind it.
            port = taken if host == "0.0.0.0" and taken not in handed_out else _free_port(host)
            handed_out.append(port)
            return port

        with Mesh.start(max_seconds=120, free_port=free_port) as mesh:
            assert taken not in mesh.ports.values() and taken in handed_out
            assert mesh.send("sleep", "GET", "/get").status == 200
