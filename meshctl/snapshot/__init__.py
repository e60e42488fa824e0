"""Mesh snapshots: `capture` takes one from a cluster, `compare` diffs two (pod by pod).

The archive format itself (layout, reader, writer, scrubbing) is `meshctl.archive`, below the
sources; this package stands above sources and analyze. See docs/snapshot.md for the format.
"""
