"""The snapshot archive format ("meshctl-snapshot/v1", docs/snapshot.md): a low package, no I/O policy.

`layout` names the members, `scrub` keeps key material out, `writer` streams members into the
archive, `reader` reads them back. It imports nothing of meshctl but errors: sources read it
(`meshctl.sources.snapshot`, --snapshot), and `meshctl.snapshot` (capture, compare) builds on it.
"""
