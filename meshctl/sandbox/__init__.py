"""A local Istio-shaped sidecar: real Envoy, an ADS control plane and an SDS agent (``meshctl sandbox``).

``Rig`` in ``meshctl.sandbox.rig`` ties the parts together; the modules import grpc, protobuf and
cryptography only when a rig starts.
"""
