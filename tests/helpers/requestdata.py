"""Requests and the pieces of the sleep/httpbin mesh (helpers.meshdata) that tests/request's pinned
tests change: the client's routes and HTTP connection manager, the server's, and an explanation's one
outcome."""

from __future__ import annotations

from meshctl.analyze.request import HttpRequest, RequestExplainer
from meshctl.sandbox.resources import LISTENER, ROUTE

from helpers.meshdata import SLEEP, SLEEP_PORT, client_dump, client_served, server_dump


def req(method="GET", path="/get", *headers, port=SLEEP_PORT, host="httpbin") -> HttpRequest:
    return HttpRequest(host, port, method, path, tuple(headers))


def only(explanation):
    (outcome,) = explanation.outcomes
    return outcome


def routes_of(served) -> list:
    """The sleep client's first virtual host's routes (to add routes in front of them)."""
    return served[ROUTE][0]["virtual_hosts"][0]["routes"]


def default_route(served_client) -> dict:
    """The sleep client's catch-all route (the last of its first virtual host)."""
    return routes_of(served_client)[-1]


def manager_of(served) -> dict:
    """The HTTP connection manager of a served dump's first listener (the sleep client's outbound one,
    or the server's inbound one)."""
    return served[LISTENER][0]["filter_chains"][0]["filters"][0]["typed_config"]


def explain_to_server(served_server, request=None, served_client=None, **options):
    src = client_dump(SLEEP, served_client or client_served(SLEEP), **options)
    return RequestExplainer(src, server_dump(served_server)).explain(request or req())


def dst_vhost_line(outcome) -> str:
    return next(line for line in outcome.evidence if line.startswith("  virtual host inbound|"))


def vhosts_answering(*domains_of, **config) -> dict:
    """The sleep client with one virtual host per list of domains in its route configuration (updated with
    `config`); virtual host N has one route, rN, that answers 200 + N directly."""
    served = client_served(SLEEP)
    route_config = served[ROUTE][0]
    route_config.update(config)
    route_config["virtual_hosts"] = [{"name": f"v{n}", "domains": list(domains),
                                      "routes": [{"name": f"r{n}", "match": {"prefix": "/"}, "direct_response": {"status": 200 + n}}]}
                                     for n, domains in enumerate(domains_of)]  # fmt: skip
    return served
