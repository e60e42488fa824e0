"""The SDS client's decoding: unknown Any types pass through, key material never comes out."""

from __future__ import annotations

import base64

from meshctl.sources.sds import _redacted_dict


def _secret_with_unknown_provider():
    from envoy.extensions.transport_sockets.tls.v3 import secret_pb2

    secret = secret_pb2.Secret(name="default")
    secret.tls_certificate.certificate_chain.inline_bytes = b"-----BEGIN CERTIFICATE-----\n"
    secret.tls_certificate.private_key.inline_bytes = b"-----BEGIN PRIVATE KEY-----\nsecret"
    provider = secret.tls_certificate.private_key_provider
    provider.provider_name = "from-a-newer-envoy"
    provider.typed_config.type_url = "type.googleapis.com/example.future.v9.Provider"
    provider.typed_config.value = b"\x0a\x03abc"
    return secret


def test_unknown_any_is_kept_as_type_and_bytes():
    document = _redacted_dict(_secret_with_unknown_provider())
    typed_config = document["tls_certificate"]["private_key_provider"]["typed_config"]
    assert typed_config == {"@type": "type.googleapis.com/example.future.v9.Provider", "value": base64.b64encode(b"\x0a\x03abc").decode()}


def test_private_key_is_redacted_like_envoy_does():
    document = _redacted_dict(_secret_with_unknown_provider())
    assert document["tls_certificate"]["private_key"] == {"inline_bytes": base64.b64encode(b"[redacted]").decode()}
    assert "PRIVATE" not in repr(document) and "c2VjcmV0" not in repr(document)


def test_generic_secret_is_redacted():
    from envoy.extensions.transport_sockets.tls.v3 import secret_pb2

    secret = secret_pb2.Secret(name="token")
    secret.generic_secret.secret.inline_bytes = b"bearer-token"
    document = _redacted_dict(secret)
    assert document["generic_secret"]["secret"] == {"inline_bytes": base64.b64encode(b"[redacted]").decode()}


def test_unknown_any_nested_in_a_known_any_is_kept():
    from envoy.extensions.transport_sockets.tls.v3 import secret_pb2, tls_pb2
    from google.protobuf import any_pb2

    context = tls_pb2.CommonTlsContext()
    context.custom_handshaker.name = "future"
    context.custom_handshaker.typed_config.type_url = "type.googleapis.com/example.Handshaker"
    packed = any_pb2.Any()
    packed.Pack(context)
    holder = secret_pb2.Secret(name="nested")
    holder.tls_certificate.private_key_provider.typed_config.CopyFrom(packed)
    nested = _redacted_dict(holder)["tls_certificate"]["private_key_provider"]["typed_config"]
    assert nested["@type"].endswith("CommonTlsContext")
    assert nested["custom_handshaker"]["typed_config"] == {"@type": "type.googleapis.com/example.Handshaker", "value": ""}
