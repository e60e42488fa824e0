"""Bytes -> model: config dumps, resources, certificates; tolerant of unknown types and fields."""
