"""gRPC plumbing shared by the learner server and its clients: token auth, TLS, channels.

Every RPC carries the shared token as `authorization: Bearer <token>` metadata; clients
also send it as `x-starleague-token` (the entry the league's service reads), and the
learner accepts either. The
token comes from $STARLEAGUE_TOKEN, or from the file named by $STARLEAGUE_TOKEN_FILE
(or --token-file). The server checks it with an interceptor before any handler runs;
the standard health service (grpc.health.v1) is exempt so that Kubernetes probes,
which cannot send metadata, still work. TLS is optional: give cert/key files to the
server and the CA file to clients.
"""

from __future__ import annotations

import dataclasses
import hmac
import os
import threading
from collections import Counter
from typing import Callable

import grpc

TOKEN_METADATA_KEY = "authorization"
TOKEN_PREFIX = "Bearer "
# The league's service reads the raw token from this entry; clients send both.
LEAGUE_TOKEN_METADATA_KEY = "x-starleague-token"
TOKEN_ENV = "STARLEAGUE_TOKEN"
TOKEN_FILE_ENV = "STARLEAGUE_TOKEN_FILE"
HEALTH_SERVICE_PREFIX = "/grpc.health.v1.Health/"
# Big enough for a snapshot chunk or a long trajectory; the learner enforces its own limit.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class TransportError(RuntimeError):
    """Auth or channel setup is wrong (no token, unreadable cert file, ...)."""


def load_token(token_file: str | None = None) -> str:
    """The shared token: --token-file, then $STARLEAGUE_TOKEN_FILE, then $STARLEAGUE_TOKEN."""
    path = token_file or os.environ.get(TOKEN_FILE_ENV)
    if path:
        try:
            with open(path) as f:
                token = f.read().strip()
        except OSError as error:
            raise TransportError(f"cannot read token file {path!r}: {error}") from None
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise TransportError(f"no auth token: set ${TOKEN_ENV} or ${TOKEN_FILE_ENV} (or pass --token-file)")
    return token


@dataclasses.dataclass
class TLSFiles:
    """PEM files; server needs cert+key, a client needs the CA (root) cert."""

    cert: str = ""
    key: str = ""
    ca: str = ""


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as error:
        raise TransportError(f"cannot read TLS file {path!r}: {error}") from None


class TokenAuthInterceptor(grpc.ServerInterceptor):
    """Refuses any RPC without the right token (UNAUTHENTICATED), counting each refusal."""

    def __init__(self, token: str, on_reject: Callable[[str], None] | None = None):
        self._token = token.encode()
        self._on_reject = on_reject
        self.rejected: Counter[str] = Counter()
        self._lock = threading.Lock()

    def intercept_service(self, continuation, handler_call_details):
        if handler_call_details.method.startswith(HEALTH_SERVICE_PREFIX):
            return continuation(handler_call_details)
        metadata = dict(handler_call_details.invocation_metadata or ())
        given = metadata.get(TOKEN_METADATA_KEY)
        if given is not None and str(given).startswith(TOKEN_PREFIX):
            given = given[len(TOKEN_PREFIX) :]
        elif LEAGUE_TOKEN_METADATA_KEY in metadata:
            given = metadata[LEAGUE_TOKEN_METADATA_KEY]
        if given is not None and hmac.compare_digest(str(given).encode(), self._token):
            return continuation(handler_call_details)
        reason = "missing_token" if given is None else "wrong_token"
        with self._lock:
            self.rejected[reason] += 1
        if self._on_reject:
            self._on_reject(reason)
        handler = continuation(handler_call_details)
        message = f"{reason.replace('_', ' ')}: send 'authorization: Bearer <token>' metadata ($STARLEAGUE_TOKEN)"

        def abort(request_or_iterator, context):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

        if handler is None:
            return None
        if handler.request_streaming and handler.response_streaming:
            return grpc.stream_stream_rpc_method_handler(abort)
        if handler.request_streaming:
            return grpc.stream_unary_rpc_method_handler(abort)
        if handler.response_streaming:
            return grpc.unary_stream_rpc_method_handler(abort)
        return grpc.unary_unary_rpc_method_handler(abort)


def channel_options() -> list[tuple[str, int]]:
    return [
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.keepalive_time_ms", 20_000),
        ("grpc.keepalive_timeout_ms", 10_000),
    ]


def add_port(server: grpc.Server, address: str, tls: TLSFiles | None = None) -> int:
    """Bind `address` (port 0 picks a free one), TLS when cert+key are given; returns the port."""
    if tls and tls.cert and tls.key:
        credentials = grpc.ssl_server_credentials([(_read(tls.key), _read(tls.cert))])
        port = server.add_secure_port(address, credentials)
    else:
        port = server.add_insecure_port(address)
    if port == 0:
        raise TransportError(f"cannot bind {address}")
    return port


def open_channel(address: str, tls: TLSFiles | None = None) -> grpc.Channel:
    if tls and tls.ca:
        credentials = grpc.ssl_channel_credentials(root_certificates=_read(tls.ca))
        return grpc.secure_channel(address, credentials, options=channel_options())
    return grpc.insecure_channel(address, options=channel_options())


def auth_metadata(token: str) -> tuple[tuple[str, str], ...]:
    return ((TOKEN_METADATA_KEY, TOKEN_PREFIX + token), (LEAGUE_TOKEN_METADATA_KEY, token))
