"""Shared data types (stdlib only) that every layer may use."""
