"""The rig's pilot-agent stand-in: an SDS server serving ``default`` and ``ROOTCA`` on the SDS socket."""

from __future__ import annotations

import datetime

from meshctl.sandbox import resources
from meshctl.sandbox.certs import IssuedCert, TestCA
from meshctl.sandbox.xds import ResourceCache, serve


class SdsServer:
    """Issues the workload cert from `ca` and serves it; `rotate()` issues and pushes a new one."""

    def __init__(self, socket_path: str, ca: TestCA, spiffe_id: str, validity: datetime.timedelta) -> None:
        self.ca = ca
        self.spiffe_id = spiffe_id
        self.validity = validity
        self.cache = ResourceCache()
        self.workload: IssuedCert = self._publish()
        self._server = serve(socket_path, self.cache, "sds")

    def _publish(self) -> IssuedCert:
        cert = self.ca.issue_workload(self.spiffe_id, validity=self.validity)
        # pilot-agent serves the leaf followed by the CA chain (istio security/pkg/nodeagent/cache)
        self.cache.set(
            resources.SECRET, resources.secrets(cert.cert_pem + self.ca.root.cert_pem, cert.key_pem, self.ca.root.cert_pem)
        )
        return cert

    def rotate(self) -> IssuedCert:
        """Issue a new workload cert and push it to every subscribed client."""
        self.workload = self._publish()
        return self.workload

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop(grace=None)
