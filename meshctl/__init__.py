"""meshctl: Istio service-mesh diagnostics (distribution ``istio-meshctl``)."""

__version__ = "0.1.0"
