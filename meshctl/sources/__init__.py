"""I/O: files, admin URLs, pods (port-forward or exec), the cluster (live or a snapshot), SDS, many pods."""
