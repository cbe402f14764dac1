"""The WebSocket protocol: typed JSON frames as msgspec Structs, tagged by ``type``.

Client → server::

    {"type": "auth", "token": "<access token>"}          or {"type": "auth", "api_key": "nk_..."}
    {"type": "subscribe", "topics": ["bars.AAPL.*"], "since_seq": {"bars.AAPL.1m": 41}}
    {"type": "unsubscribe", "topics": ["bars.AAPL.*"]}
    {"type": "ping", "ts": 1}                            → {"type": "pong", "ts": 1}
    {"type": "pong", "ts": ...}                          (answer to a server ping)

Server → client::

    {"type": "welcome", "user_id": ..., "admin": false, "heartbeat_s": 15.0}
    {"type": "subscribed", "topics": [...]} / {"type": "unsubscribed", "topics": [...]}
    {"type": "data", "topic": "bars.AAPL.1m", "seq": 42, "ts": <ns UTC>, "data": {...}}
    {"type": "snapshot", "topic": ..., "seq": N, "ts": ..., "data": {...}}
    {"type": "ping", "ts": <ns UTC>}, {"type": "pong", "ts": ...}
    {"type": "error", "code": "unknown_topic", "message": "..."}
    {"type": "batch", "frames": [<frame>, <frame>, ...]}

``seq`` counts the frames of one topic from 1; a gap in a conflated topic (market data, P&L,
jobs) means frames were merged for a slow client. ``data`` is the bus message encoded by
msgspec (Decimals as strings, times as int ns UTC). A ``snapshot`` carries the latest frame of
a topic when a resume asked for frames older than the replay buffer.

A ``batch`` carries, in order, several of the frames above that were queued for a client in
the same event-loop turn (or while its socket was busy); a client handles each element as if
it had arrived alone. Every data frame in it keeps its own ``seq``. Batches are never nested
and hold at most a few hundred frames.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

CLOSE_POLICY = 1008
"""Authentication failed, or a subscription the caller may not hold."""
CLOSE_TRY_AGAIN = 1013
"""The client stayed too slow: its queue was full for too long."""
CLOSE_GOING_AWAY = 1001
"""The server is shutting down."""
CLOSE_UNAVAILABLE = 1011
"""The streaming engine is not running in this process."""
CLOSE_HEARTBEAT = 4001
"""No frame from the peer within the heartbeat timeout."""
CLOSE_PROTOCOL = 4002
"""The client sent a frame that is not part of the protocol too often."""


class Auth(msgspec.Struct, tag="auth", tag_field="type", forbid_unknown_fields=True):
    token: str | None = None
    api_key: str | None = None


class Subscribe(msgspec.Struct, tag="subscribe", tag_field="type", forbid_unknown_fields=True):
    topics: list[str]
    since_seq: dict[str, int] = msgspec.field(default_factory=dict)


class Unsubscribe(msgspec.Struct, tag="unsubscribe", tag_field="type", forbid_unknown_fields=True):
    topics: list[str]


class Ping(msgspec.Struct, tag="ping", tag_field="type"):
    ts: int | None = None


class Pong(msgspec.Struct, tag="pong", tag_field="type"):
    ts: int | None = None


ClientFrame = Auth | Subscribe | Unsubscribe | Ping | Pong


class Welcome(msgspec.Struct, tag="welcome", tag_field="type"):
    user_id: str
    admin: bool
    heartbeat_s: float


class Subscribed(msgspec.Struct, tag="subscribed", tag_field="type"):
    topics: list[str]


class Unsubscribed(msgspec.Struct, tag="unsubscribed", tag_field="type"):
    topics: list[str]


class ErrorFrame(msgspec.Struct, tag="error", tag_field="type"):
    code: str
    message: str


class DataFrame(msgspec.Struct, tag="data", tag_field="type"):
    """A bus message on a public topic; ``data`` is pre-encoded JSON."""

    topic: str
    seq: int
    ts: int
    data: msgspec.Raw


class Snapshot(msgspec.Struct, tag="snapshot", tag_field="type"):
    """The latest frame of a topic, sent instead of a replay the buffer no longer holds."""

    topic: str
    seq: int
    ts: int
    data: msgspec.Raw


_client_decoder = msgspec.json.Decoder(ClientFrame)
_encoder = msgspec.json.Encoder()


def decode_client(text: str | bytes) -> ClientFrame:
    """Parse one client frame; raises ``msgspec.ValidationError``/``DecodeError`` if invalid."""
    frame: ClientFrame = _client_decoder.decode(text)
    return frame


def encode(frame: msgspec.Struct) -> str:
    """One server frame as JSON text."""
    return _encoder.encode(frame).decode()


def encode_data(msg: object) -> bytes:
    """A bus message as JSON (encoded once per message, shared by every client)."""
    return _encoder.encode(msg)


BATCH_HEAD = '{"type":"batch","frames":['


def batch_text(frames: Iterable[str]) -> str:
    """Several encoded server frames as the text of one ``batch`` frame (no re-encoding).

    >>> batch_text(['{"type":"ping","ts":1}', '{"type":"pong","ts":2}'])
    '{"type":"batch","frames":[{"type":"ping","ts":1},{"type":"pong","ts":2}]}'
    """
    return BATCH_HEAD + ",".join(frames) + "]}"
