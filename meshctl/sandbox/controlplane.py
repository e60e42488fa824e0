"""The rig's istiod stand-in: an ADS server (CDS, EDS, LDS, RDS, ECDS) on a unix socket."""

from __future__ import annotations

from meshctl.sandbox import resources
from meshctl.sandbox.xds import ResourceCache, serve


class ControlPlane:
    """Serves Istio-shaped config over ADS; `add_warming_cluster()` adds a cluster whose EDS never comes."""

    def __init__(self, socket_path: str, *, outbound_port: int, inbound_port: int, served: dict[str, list[dict]] | None = None) -> None:
        """Serve the bookinfo sidecar's config, or `served` (type URL -> resources) instead."""
        self.cache = ResourceCache()
        self._warming = False
        self._extra_clusters: list[dict] = []
        self._listeners = resources.listeners(outbound_port, inbound_port)
        if served is not None:
            for type_url, items in served.items():
                self.cache.set(type_url, items, name_field="cluster_name" if type_url == resources.ENDPOINTS else "name")
        else:
            self.cache.set(resources.CLUSTER, resources.clusters(include_warming=False))
            self.cache.set(resources.ENDPOINTS, resources.endpoints(), name_field="cluster_name")
            self.cache.set(resources.LISTENER, self._listeners)
            self.cache.set(resources.ROUTE, resources.routes())
            self.cache.set(resources.EXTENSION_CONFIG, resources.extension_configs())
        self._server = serve(socket_path, self.cache, "ads")

    def add_warming_cluster(self) -> int:
        """Push CDS again with the extra cluster; returns the new CDS version.

        Sent only after Envoy is initialised: a cluster warming during initialisation would hold
        back LDS and keep the server from going LIVE (envoy ClusterManagerInitHelper).
        """
        self._warming = True
        return self._push_clusters()

    def add(self, *, listeners: list[dict] = (), clusters: list[dict] = ()) -> None:
        """Serve these listeners and (static) clusters too, alongside the Istio-shaped ones."""
        if clusters:
            self._extra_clusters += list(clusters)
            self._push_clusters()
        if listeners:
            self._listeners = self._listeners + list(listeners)
            self.cache.set(resources.LISTENER, self._listeners)

    def _push_clusters(self) -> int:
        return self.cache.set(resources.CLUSTER, resources.clusters(include_warming=self._warming) + self._extra_clusters)

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop(grace=None)
