"""Istio's sidecar injection reproduced offline: a pipeline with the same rules, inputs passed in."""
