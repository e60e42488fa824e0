"""Go's encoders, as istioctl and istiod write and read data: ``fmt``, ``encoding/json`` and YAML.

A leaf package: it imports nothing else of meshctl, so every layer may use it (render for istioctl's
``-o json|yaml``, inject for Istio's manifests, the template engine for its functions).

- :mod:`.values`: Go's dynamic values in Python form (``MISSING``, ``GoValue``, ``StructFields``) and
  Go's rules over them (kind, ``%T`` name, truth).
- :mod:`.gofmt`: ``fmt.Sprint``/``Sprintf`` and strconv's float formatting.
- :mod:`.gojson`: ``encoding/json`` Marshal, MarshalIndent and Unmarshal into ``any``.
- :mod:`.goyaml`: ``sigs.k8s.io/yaml`` (go-yaml v2) Marshal and Unmarshal, with go-yaml's limits.
"""
