"""Pure rendering and ordering pieces: the tabwriter clone, Go's sort, Go-shaped JSON/YAML, keys."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from meshctl.analyze.envoy import parse_subset_key
from meshctl.analyze.order import cluster_key, go_sort_by_key, go_sort_slice
from meshctl.decode.protojson import to_camel, to_snake
from meshctl.model.tabular import Tabular
from meshctl.render.data import to_json, to_yaml
from meshctl.render.text import render_tabular, tabwrite


def test_tabwriter_column_blocks_end_where_a_line_lacks_the_column():
    # Worked by hand from Go's text/tabwriter: column 1 of line 0 is a block of its own (line 1's
    # second cell is its last, and last cells are not aligned); a one-cell line flushes.
    text = "a\tb\tc\naaaa\tbb\nx\nlong-cell\ty\n"
    assert tabwrite(text, padding=1) == "a    b c\naaaa bb\nx\nlong-cell y\n"


def test_tabwriter_pads_empty_trailing_cells_like_istioctl():
    # `Fprintf(w, "%v\t%v\t\n")`: the empty last cell follows a padded column, so rows end in spaces.
    assert tabwrite("NAME\tTYPE\tRULE\nx\tSTATIC\t\n", padding=5) == "NAME     TYPE       RULE\nx        STATIC     \n"


def test_tabwriter_counts_characters_not_bytes():
    assert tabwrite("ü\tx\nab\ty\n", padding=1) == "ü  x\nab y\n"


_cells = st.text(st.sampled_from("ab-ü|\t\n "), max_size=6)


@given(
    st.integers(1, 4).flatmap(lambda n: st.lists(st.lists(_cells, min_size=n, max_size=n), min_size=1, max_size=6)),
    st.lists(_cells, max_size=3),
    st.integers(0, 5),
    st.integers(0, 8),
)
def test_tables_render_as_their_tab_separated_text_through_tabwrite(rows, odd_row, padding, minwidth):
    # render_tabular aligns plain uniform tables itself: it must agree with the general tabwriter.
    for table_rows in (rows, rows + [odd_row]):
        table = Tabular(table_rows[0], [list(row) for row in table_rows[1:]], padding=padding, minwidth=minwidth)
        text = "".join("\t".join(line) + "\n" for line in table_rows)
        assert render_tabular(table) == tabwrite(text, minwidth=minwidth, padding=padding)


@given(st.lists(st.integers(min_value=-50, max_value=50), max_size=300))
def test_go_sort_slice_sorts(values):
    assert go_sort_slice(list(values), lambda a, b: a < b) == sorted(values)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers()), max_size=200))
def test_go_sort_by_key_with_ties_is_a_permutation_sorted_by_key(items):
    result = go_sort_by_key(list(items), lambda item: item[0])
    assert sorted(result) == sorted(items)
    assert [key for key, _ in result] == sorted(key for key, _ in items)


def test_go_sort_small_slices_are_stable_like_gos_insertion_sort():
    items = [(1, "a"), (0, "b"), (1, "c"), (0, "d")]
    assert go_sort_slice(items, lambda a, b: a[0] < b[0]) == [(0, "b"), (0, "d"), (1, "a"), (1, "c")]


def test_parse_subset_key_follows_istio():
    assert parse_subset_key("outbound|9080|v1|reviews.default.svc.cluster.local") == ("outbound", "v1", "reviews.default.svc.cluster.local", 9080)
    assert parse_subset_key("outbound_.9080_.v1_.reviews.default.svc.cluster.local") == ("outbound", "v1", "reviews.default.svc.cluster.local", 9080)
    assert parse_subset_key("inbound|x|a|b|c") == ("inbound", "a", "", 0)  # bad port -> 0; 4th "|" -> no FQDN
    assert parse_subset_key("a|1") == ("a", "", "", 0)  # Go returns before parsing the port
    assert cluster_key("BlackHoleCluster") == ("BlackHoleCluster", "", 0, "")


def test_go_json_indents_by_four_and_escapes_html():
    assert to_json({"a": ["<x>&"], "b": {}, "c": []}) == '{\n    "a": [\n        "\\u003cx\\u003e\\u0026"\n    ],\n    "b": {},\n    "c": []\n}\n'


_JSON_SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([1.0, -0.0, 1e20, 1e21, 1e-7, 0.000001])
    | st.text(st.characters(blacklist_categories=("Cs",))) | st.sampled_from(['a": 1.0', "x 2.0", " 1e+16", "<&>\u2028"])
)
_JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4).map(lambda d: dict(sorted(d.items()))),
    max_leaves=20,
)


@given(_JSON_VALUES)
def test_go_json_is_gojsons_marshal_indent(value):
    """The fast orjson path writes what the Go encoding/json clone writes (maps given in sorted order)."""
    from meshctl.goenc.gojson import marshal_indent

    assert to_json(value) == marshal_indent(value, "    ") + "\n"


def test_jsonpb_writer_scalars_are_go_json_scalars():
    from meshctl.render.goformats import JsonpbWriter

    text = JsonpbWriter({"M": (("a", "scalar"),)}).dumps({"a": 1.0, "b": 1e21, "c": "<", "d": -0.0}, "M")
    assert text == '{\n    "a": 1,\n    "b": 1e+21,\n    "c": "\\u003c",\n    "d": -0\n}'


def test_go_yaml_quotes_what_go_yaml_would_read_as_another_type():
    # go-yaml v2 resolves y/n/on/off as booleans, so even the key "n" is quoted.
    text = to_yaml({"version": "1605", "when": "2022-12-08T11:03:53.361Z", "tag": "2022-12-08T09:07:09Z/10", "flag": "on", "@type": "x", "n": None, "f": 1.0})
    assert text == (
        "'@type': x\nf: 1\nflag: \"on\"\n\"n\": null\ntag: 2022-12-08T09:07:09Z/10\n"
        'version: "1605"\nwhen: "2022-12-08T11:03:53.361Z"\n\n'
    )


def test_camel_case_conversion_leaves_data_keys_alone():
    cluster = {
        "transport_socket_matches": [{"match": {"tlsMode": "istio"}}],
        "metadata": {"filter_metadata": {"istio": {"default_original_port": 80}, "envoy.lb": {"a_b": 1}}},
        "typed_extension_protocol_options": {"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {"use_downstream_protocol_config": {}}},
        "typed_config": {"@type": "type.googleapis.com/udpa.type.v1.TypedStruct", "value": {"stat_prefix": "x"}},
    }
    camel = to_camel(cluster)
    assert camel["transportSocketMatches"] == [{"match": {"tlsMode": "istio"}}]
    assert camel["metadata"]["filterMetadata"] == {"envoy.lb": {"a_b": 1}, "istio": {"default_original_port": 80}}
    assert list(camel["typedExtensionProtocolOptions"].values()) == [{"useDownstreamProtocolConfig": {}}]
    assert camel["typedConfig"]["value"] == {"stat_prefix": "x"}
    assert to_snake(camel) == json.loads(json.dumps(cluster, sort_keys=False)) | {"metadata": {"filter_metadata": {"envoy.lb": {"a_b": 1}, "istio": {"default_original_port": 80}}}}
