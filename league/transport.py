"""gRPC plumbing for the league service: the same token auth and TLS as the learner.

The league may not import the learner's package (they meet only over the wire), so the
conventions are restated here: the token travels in the `x-starleague-token` metadata
entry (or, as the learner's clients also send it, `authorization: Bearer <token>`) and
comes from --token-file, $STARLEAGUE_TOKEN_FILE or $STARLEAGUE_TOKEN; the
standard health service is exempt so probes can call it; TLS when cert/key are given.
"""

from __future__ import annotations

import hmac
import os
from typing import Callable

import grpc

from league.errors import LeagueError

TOKEN_METADATA_KEY = "x-starleague-token"
BEARER_METADATA_KEY = "authorization"
_BEARER = "Bearer "
TOKEN_ENV = "STARLEAGUE_TOKEN"
TOKEN_FILE_ENV = "STARLEAGUE_TOKEN_FILE"
_HEALTH_PREFIX = "/grpc.health.v1.Health/"
# Snapshot chunks are 1 MiB by default; leave room for the message around them.
MAX_MESSAGE_BYTES = 64 << 20
CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
]


def read_token(token_file: str = "") -> str:
    """The shared token, or a LeagueError saying where to put one."""
    path = token_file or os.environ.get(TOKEN_FILE_ENV, "")
    if path:
        try:
            with open(path) as f:
                token = f.read().strip()
        except OSError as error:
            raise LeagueError("invalid", f"cannot read token file {path!r}: {error}") from None
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise LeagueError("invalid", f"no auth token: set ${TOKEN_ENV} or ${TOKEN_FILE_ENV}, or pass --token-file")
    return token


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as error:
        raise LeagueError("invalid", f"cannot read TLS file {path!r}: {error}") from None


class TokenCheck(grpc.ServerInterceptor):
    """Answers UNAUTHENTICATED to any call without the right token, and reports each refusal."""

    def __init__(self, token: str, on_reject: Callable[[str], None]):
        self._token = token.encode()
        self._on_reject = on_reject

    def intercept_service(self, continuation, details):
        if details.method.startswith(_HEALTH_PREFIX):
            return continuation(details)
        metadata = dict(details.invocation_metadata or ())
        given = metadata.get(TOKEN_METADATA_KEY)
        bearer = str(metadata.get(BEARER_METADATA_KEY, ""))
        if given is None and bearer.startswith(_BEARER):
            given = bearer[len(_BEARER):]
        if given is not None and hmac.compare_digest(str(given).encode(), self._token):
            return continuation(details)
        reason = "missing_token" if given is None else "wrong_token"
        self._on_reject(reason)
        handler = continuation(details)
        if handler is None:
            return None
        message = f"{reason.replace('_', ' ')}: send the league token in the '{TOKEN_METADATA_KEY}' metadata entry"

        def refuse(request, context):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

        make = {
            (False, False): grpc.unary_unary_rpc_method_handler,
            (True, False): grpc.stream_unary_rpc_method_handler,
            (False, True): grpc.unary_stream_rpc_method_handler,
            (True, True): grpc.stream_stream_rpc_method_handler,
        }[(handler.request_streaming, handler.response_streaming)]
        return make(refuse)


def bind(server: grpc.Server, address: str, tls_cert: str = "", tls_key: str = "") -> int:
    """Listen on `address` (port 0 picks one), with TLS when cert and key are given; returns the port."""
    if tls_cert and tls_key:
        credentials = grpc.ssl_server_credentials([(_read_file(tls_key), _read_file(tls_cert))])
        port = server.add_secure_port(address, credentials)
    else:
        port = server.add_insecure_port(address)
    if port == 0:
        raise LeagueError("invalid", f"cannot listen on {address}")
    return port


def channel(address: str, tls_ca: str = "") -> grpc.Channel:
    if tls_ca:
        credentials = grpc.ssl_channel_credentials(root_certificates=_read_file(tls_ca))
        return grpc.secure_channel(address, credentials, options=CHANNEL_OPTIONS)
    return grpc.insecure_channel(address, options=CHANNEL_OPTIONS)
