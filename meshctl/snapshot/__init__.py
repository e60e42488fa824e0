"""Mesh snapshots: one tar.gz holding what `meshctl` reads from a cluster, for offline diagnosis.

`layout` names the members, `scrub` keeps key material out, `writer` streams members into the
archive, `reader` reads them back, `capture` takes a snapshot from a cluster, `compare` diffs two.
See docs/snapshot.md for the format.
"""
