"""meshctl: Istio service-mesh diagnostics (distribution ``istio-meshctl``)."""

__version__ = "0.1.0"
VERSION_TEXT = (
    f"meshctl {__version__} (istio-meshctl: diagnostics for Istio service meshes; "
    "not Solo.io's meshctl nor PyPI's 'meshctl')"
)
