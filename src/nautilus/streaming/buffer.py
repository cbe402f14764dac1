"""Per-topic sequence numbers, bounded replay buffers and latest-value snapshots.

Every frame of a public topic gets the next ``seq`` (1, 2, ...). The buffer keeps the last
``size`` frames of each topic, so a client that reconnects with ``since_seq`` gets exactly what
it missed, or, when the gap is older than the buffer, a snapshot of the latest frame. Topics
beyond ``max_topics`` are evicted least recently updated first. Used from the event loop only.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

import msgspec

from nautilus.streaming.messages import DataFrame, Snapshot, encode
from nautilus.streaming.topics import TopicRule


@dataclass(slots=True)
class Frame:
    """One data frame: its topic, seq, ts (ns UTC), JSON data and the full frame text."""

    rule: TopicRule
    topic: str
    seq: int
    ts: int
    data: bytes
    text: str
    msg: Any = field(default=None, repr=False)

    @classmethod
    def build(cls, rule: TopicRule, topic: str, seq: int, ts: int, data: bytes, msg: Any) -> Frame:
        text = encode(DataFrame(topic, seq, ts, msgspec.Raw(data)))
        return cls(rule, topic, seq, ts, data, text, msg)

    def snapshot_text(self) -> str:
        return encode(Snapshot(self.topic, self.seq, self.ts, msgspec.Raw(self.data)))


@dataclass(slots=True)
class _TopicLog:
    seq: int = 0
    frames: deque[Frame] = field(default_factory=deque)


class ReplayBuffer:
    """Sequence counters and the last ``size`` frames of up to ``max_topics`` topics.

    >>> from nautilus.streaming.topics import TOPIC_RULES
    >>> buf = ReplayBuffer(size=2)
    >>> for i in range(3):
    ...     buf.record(Frame.build(TOPIC_RULES[0], "bars.X.1m", buf.next_seq("bars.X.1m"), i,
    ...                            b"{}", None))
    >>> [f.seq for f in buf.since("bars.X.1m", 1)]
    [2, 3]
    >>> buf.since("bars.X.1m", 0) is None  # seq 1 is gone: take the snapshot
    True
    """

    def __init__(self, size: int = 1000, max_topics: int = 100_000) -> None:
        self.size = size
        self.max_topics = max_topics
        self._logs: OrderedDict[str, _TopicLog] = OrderedDict()
        self.evicted = 0

    def _log(self, topic: str) -> _TopicLog:
        log = self._logs.get(topic)
        if log is None:
            log = self._logs[topic] = _TopicLog(frames=deque(maxlen=self.size))
            if len(self._logs) > self.max_topics:
                self._logs.popitem(last=False)
                self.evicted += 1
        else:
            self._logs.move_to_end(topic)
        return log

    def next_seq(self, topic: str) -> int:
        """The seq for a new local frame of ``topic`` (single-process mode)."""
        log = self._log(topic)
        return log.seq + 1

    def record(self, frame: Frame) -> bool:
        """Keep ``frame``; returns False (and keeps nothing) for a seq already seen."""
        log = self._log(frame.topic)
        if frame.seq <= log.seq:
            return False
        log.seq = frame.seq
        log.frames.append(frame)
        return True

    def last_seq(self, topic: str) -> int:
        log = self._logs.get(topic)
        return log.seq if log is not None else 0

    def latest(self, topic: str) -> Frame | None:
        log = self._logs.get(topic)
        return log.frames[-1] if log is not None and log.frames else None

    def since(self, topic: str, seq: int) -> list[Frame] | None:
        """Frames of ``topic`` after ``seq``; ``None`` when some of them are no longer held.

        A ``seq`` ahead of the topic (e.g. counters reset by a restart) is also ``None``: the
        caller sends the snapshot.
        """
        log = self._logs.get(topic)
        if log is None:
            return [] if seq == 0 else None
        if seq == log.seq:
            return []
        if seq > log.seq or not log.frames or log.frames[0].seq > seq + 1:
            return None
        return [f for f in log.frames if f.seq > seq]

    def topics(self) -> list[str]:
        return list(self._logs)

    def __len__(self) -> int:
        return len(self._logs)
