"""A gRPC SDS client: fetch secrets from an agent's SDS socket as pilot-agent serves them to Envoy.

Speaks ``envoy.service.secret.v3.SecretDiscoveryService/StreamSecrets`` with the official protos
from xds-protos (see docs/xds-protos.md for why not envoy-data-plane). grpc and protobuf are
imported inside `fetch_secrets`, never at module import.

Private keys never leave this module: key material is overwritten with ``[redacted]`` in the
protobuf message, exactly as Envoy's admin dump shows it, before anything is converted to a dict.
"""

from __future__ import annotations

import base64
import os
import threading

from meshctl.errors import SourceError

SECRET_TYPE = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"
DEFAULT_TIMEOUT = 10.0
_REDACTED = b"[redacted]"


def fetch_secrets(socket_path: str, names: list[str], *, timeout: float | None = None) -> list[dict]:
    """Ask the SDS server on `socket_path` for each secret in `names`.

    Returns entries shaped like a SecretsConfigDump's ``dynamic_active_secrets``
    (``{"name", "version_info", "secret"}``, snake_case, bytes in base64).
    """
    if not os.path.exists(socket_path):
        raise SourceError(f"no SDS socket at {socket_path}")
    import grpc

    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    channel = grpc.insecure_channel(f"unix:{os.path.abspath(socket_path)}")
    try:
        return [_fetch_one(channel, socket_path, name, timeout) for name in names]
    finally:
        channel.close()


def _fetch_one(channel, socket_path: str, name: str, timeout: float) -> dict:
    import grpc
    from envoy.config.core.v3 import base_pb2
    from envoy.extensions.transport_sockets.tls.v3 import secret_pb2
    from envoy.service.discovery.v3 import discovery_pb2
    from envoy.service.secret.v3 import sds_pb2_grpc

    request = discovery_pb2.DiscoveryRequest(
        node=base_pb2.Node(id="meshctl-sds-client", cluster="meshctl"), type_url=SECRET_TYPE, resource_names=[name]
    )
    answered = threading.Event()

    def requests():
        # Keep the stream open until the answer arrives: Istio's agent stops a stream whose
        # client half-closes, possibly before it has pushed the secret.
        yield request
        answered.wait(timeout)

    call = sds_pb2_grpc.SecretDiscoveryServiceStub(channel).StreamSecrets(requests(), timeout=timeout)
    try:
        response = next(call)
    except grpc.RpcError as exc:
        raise SourceError(_rpc_message(exc, socket_path, timeout)) from None
    except StopIteration:
        raise SourceError(f"the SDS server at {socket_path} closed the stream without sending {name!r}") from None
    finally:
        answered.set()
        call.cancel()
    for packed in response.resources:
        secret = secret_pb2.Secret()
        if not packed.Unpack(secret):
            continue
        if secret.name == name or len(response.resources) == 1:
            return {"name": name, "version_info": response.version_info, "secret": _redacted_dict(secret)}
    raise SourceError(f"the SDS server at {socket_path} has no secret named {name!r}")


def _redacted_dict(secret) -> dict:
    """The secret as snake_case JSON with every sensitive field replaced, as Envoy's dump does
    for fields annotated ``udpa.annotations.sensitive``."""
    from google.protobuf import json_format

    for field in ("private_key", "password", "pkcs12"):
        if secret.tls_certificate.HasField(field):
            getattr(secret.tls_certificate, field).Clear()
            getattr(secret.tls_certificate, field).inline_bytes = _REDACTED
    if secret.HasField("generic_secret"):
        secret.generic_secret.secret.Clear()
        secret.generic_secret.secret.inline_bytes = _REDACTED
    for key in secret.session_ticket_keys.keys:
        key.Clear()
        key.inline_bytes = _REDACTED
    unknown = _clear_unknown_any(secret, ())
    result = json_format.MessageToDict(secret, preserving_proto_field_name=True)
    for path, type_url, value in unknown:
        _set_path(result, path, {"@type": type_url, "value": base64.b64encode(value).decode()})
    return result


def _clear_unknown_any(message, path: tuple) -> list[tuple[tuple, str, bytes]]:
    """Empty every ``Any`` whose type this client's protos do not know; return where they were.

    json_format refuses to convert a message holding such an Any (a newer Envoy or agent may send
    one); the caller puts ``{"@type", "value"}`` back at each path instead.
    """
    from google.protobuf import descriptor_pool, message_factory

    pool = descriptor_pool.Default()
    found = []
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            if field.message_type.fields_by_name["value"].message_type is None:
                continue
            items = [(str(key), value[key]) for key in value]
        elif field.is_repeated if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED:
            items = list(enumerate(value))
        else:
            items = [(None, value)]
        for key, item in items:
            where = path + ((field.name,) if key is None else (field.name, key))
            if item.DESCRIPTOR.full_name != "google.protobuf.Any":
                found += _clear_unknown_any(item, where)
                continue
            try:
                inner_type = pool.FindMessageTypeByName(item.type_url.rsplit("/", 1)[-1])
            except KeyError:
                found.append((where, item.type_url, item.value))
                item.Clear()
                continue
            inner = message_factory.GetMessageClass(inner_type)()
            item.Unpack(inner)
            nested = _clear_unknown_any(inner, where)  # a known Any's fields sit beside its "@type"
            if nested:
                item.Pack(inner, type_url_prefix=item.type_url.rsplit("/", 1)[0])
                found += nested
    return found


def _set_path(document: dict, path: tuple, value) -> None:
    for step in path[:-1]:
        document = document[step]
    document[path[-1]] = value


def _rpc_message(exc, socket_path: str, timeout: float) -> str:
    import grpc

    code = exc.code() if hasattr(exc, "code") else None
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"the SDS server at {socket_path} did not answer within {timeout:g}s"
    if code == grpc.StatusCode.UNAVAILABLE:
        return f"cannot reach an SDS server at {socket_path} ({exc.details()})"
    detail = exc.details() if hasattr(exc, "details") else str(exc)
    return f"the SDS server at {socket_path} failed: {code.name if code else 'error'}: {detail}"
