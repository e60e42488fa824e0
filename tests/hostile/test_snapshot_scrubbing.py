"""Snapshot scrubbing against crafted bodies: every case issue 13 lists, streamed at awkward chunk sizes.

A pod's admin answer reaches the archive through `StreamScrubber` a chunk at a time; each body
here is fed in chunks of 1, 7 and 64 KB and must come out with no key material, no unrelated
data deleted, JSON still JSON, in time linear in its size.
"""

from __future__ import annotations

import base64
import json
import textwrap
import time

import pytest

from meshctl.archive.scrub import StreamScrubber, scrub

from helpers.keys import certificate_pem, key_forms


def _key(name: str = "rsa2048-pkcs8-pem") -> bytes:
    return next(form.data for form in key_forms() if form.name == name)


def _body_line(key: bytes) -> bytes:
    return key.splitlines()[3]


def _streamed(data: bytes, chunk: int) -> bytes:
    scrubber = StreamScrubber()
    return b"".join(scrubber.feed(data[i : i + chunk]) for i in range(0, len(data), chunk)) + scrubber.finish()


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def _cases():
    key = _key()
    cert = certificate_pem()
    escaped = json.dumps(key.decode()).encode()[1:-1].replace(b"-", b"\\u002d")
    return {
        "base64-after-a-few-bytes": (_b64(b"\x00\x01\x02" + key), [_b64(b"\x00\x01\x02" + key)[60:100]]),
        "cert-and-key-bundle": (_b64(cert + key), [_b64(cert + key)[-400:-360]]),
        "wrapped-76": ("\n".join(textwrap.wrap(_b64(key).decode(), 76)).encode(), [_b64(key)[80:110]]),
        "wrapped-76-json-escaped": ("\\n".join(textwrap.wrap(_b64(key).decode(), 76)).encode(), [_b64(key)[80:110]]),
        "mismatched-labels": (key.replace(b"END PRIVATE KEY", b"END CERTIFICATE").replace(b"\n", b"\\n"), [_body_line(key)]),
        "no-end": (key.split(b"-----END")[0].replace(b"\n", b"\\n"), [_body_line(key)]),
        "u002d-escapes": (escaped, [_body_line(key)]),
        "escaped-base64-letters": (
            json.dumps(_b64(key).decode()).encode()[1:-1].replace(b"M", b"\\u004d").replace(b"/", b"\\/"),
            [_b64(key)[60:100]],
        ),
    }


CASES = _cases()


@pytest.mark.parametrize("chunk", [1, 7, 1 << 16])
@pytest.mark.parametrize("case", sorted(CASES))
def test_crafted_keys_never_reach_the_archive(case, chunk):
    if chunk == 1 and case.startswith(("cert", "wrapped")):
        chunk = 3  # same boundaries, a third of the calls
    value, secrets = CASES[case]
    body = b'{"before": "kept", "value": "' + value + b'", "cert": ' + json.dumps(certificate_pem().decode()).encode() + b', "after": 1}'
    out = _streamed(body, chunk)
    assert out == scrub(body)
    for secret in secrets:
        assert secret not in out
    document = json.loads(out)
    assert document["before"] == "kept" and document["after"] == 1 and document["cert"] == certificate_pem().decode()


def test_unrelated_data_between_an_unterminated_begin_and_a_later_end_is_kept():
    key = _key()
    body = json.dumps({"a": key.split(b"-----END")[0].decode(), "b": "unrelated " * 50, "c": "-----END PRIVATE KEY-----"}).encode()
    out = json.loads(_streamed(body, 4096))
    assert out == {"a": "[redacted]\n", "b": "unrelated " * 50, "c": "-----END PRIVATE KEY-----"}


@pytest.mark.slow  # 20 MB through the scrubber
def test_20_mb_of_begin_lines_is_scrubbed_in_linear_time():
    line = b"-----BEGIN PRIVATE KEY-----x"
    small, big = line * (2 << 20 >> 5), line * (20 << 20 >> 5)
    started = time.process_time()
    assert _streamed(small, 1 << 16) == b"[redacted]" * (2 << 20 >> 5)
    small_cost = time.process_time() - started
    started = time.process_time()
    out = _streamed(big, 1 << 16)
    cost = time.process_time() - started
    assert out == b"[redacted]" * (20 << 20 >> 5)
    assert cost < 25 * small_cost + 1  # ten times the input: about ten times the work


def test_an_endless_base64_run_is_scrubbed_with_bounded_memory():
    import tracemalloc

    key = _b64(_key("p256-pkcs8-der"))
    filler = _b64(bytes(range(256)) * 48)  # 12 KB of harmless base64 per chunk, no separator anywhere
    scrubber = StreamScrubber()
    tracemalloc.start()
    out = [scrubber.feed(filler) for _ in range(400)]  # ~5 MB in one run
    out.append(scrubber.feed(b"AAAA" + key))
    out += [scrubber.feed(filler) for _ in range(10)]
    out.append(scrubber.finish())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 << 20
    assert key[20:60] not in b"".join(out)
