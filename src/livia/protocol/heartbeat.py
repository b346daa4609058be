"""The heartbeat wire contract, version 1.

An amphora agent sends one UDP datagram per ``heartbeat_interval`` to the
health manager::

    datagram = zlib(json(message)) + hex(HMAC-SHA256(key, zlib(json(message))))

The 64 trailing bytes are the lower-case hex digest. The message::

    {"ver": 1, "id": <amphora id>, "seq": <int, grows by one per beat>,
     "listeners": {<listener id>: {"status": "OPEN" | "FULL" | "DOWN",
                                   "stats": {"rx": int, "tx": int, "conns": int,
                                             "totconns": int, "ereq": int}}},
     "pools": {<pool id>: {"status": "UP" | "DOWN",
                           "members": {<member id>: "UP" | "DOWN" | "DRAIN" |
                                                     "MAINT" | "no check"}}},
     "vrrp": "MASTER" | "BACKUP" | "FAULT" | null}

Counters are cumulative since the amphora started (the agent carries them
across HAProxy reloads), so a lost datagram loses nothing; ``conns`` is the
current number of connections.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

VERSION = 1
DIGEST_LEN = 64
MAX_DATAGRAM = 65507


class HeartbeatError(ValueError):
    """The datagram is not a valid, correctly signed heartbeat."""


@dataclass(frozen=True, slots=True)
class ListenerReport:
    status: str
    rx: int = 0
    tx: int = 0
    conns: int = 0
    totconns: int = 0
    ereq: int = 0


@dataclass(frozen=True, slots=True)
class PoolReport:
    status: str
    members: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    amphora_id: str
    seq: int
    listeners: dict[str, ListenerReport] = field(default_factory=dict)
    pools: dict[str, PoolReport] = field(default_factory=dict)
    vrrp: str | None = None

    def to_message(self) -> dict[str, Any]:
        return {
            "ver": VERSION,
            "id": self.amphora_id,
            "seq": self.seq,
            "listeners": {
                lid: {
                    "status": r.status,
                    "stats": {"rx": r.rx, "tx": r.tx, "conns": r.conns,
                              "totconns": r.totconns, "ereq": r.ereq},
                }
                for lid, r in self.listeners.items()
            },
            "pools": {pid: {"status": p.status, "members": p.members}
                      for pid, p in self.pools.items()},
            "vrrp": self.vrrp,
        }

    @classmethod
    def from_message(cls, msg: dict[str, Any]) -> Heartbeat:
        if msg.get("ver") != VERSION:
            raise HeartbeatError(f"unsupported heartbeat version {msg.get('ver')!r}")
        try:
            listeners = {
                str(lid): ListenerReport(
                    status=str(body["status"]),
                    **{k: int(v) for k, v in body.get("stats", {}).items()
                       if k in ("rx", "tx", "conns", "totconns", "ereq")},
                )
                for lid, body in msg.get("listeners", {}).items()
            }
            pools = {
                str(pid): PoolReport(
                    status=str(body["status"]),
                    members={str(m): str(s) for m, s in body.get("members", {}).items()},
                )
                for pid, body in msg.get("pools", {}).items()
            }
            return cls(amphora_id=str(msg["id"]), seq=int(msg["seq"]), listeners=listeners,
                       pools=pools, vrrp=msg.get("vrrp"))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise HeartbeatError(f"malformed heartbeat: {exc}") from exc


def _digest(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).hexdigest().encode("ascii")


def encode(heartbeat: Heartbeat, key: bytes) -> bytes:
    payload = zlib.compress(json.dumps(heartbeat.to_message(), separators=(",", ":")).encode(), 9)
    datagram = payload + _digest(key, payload)
    if len(datagram) > MAX_DATAGRAM:
        raise HeartbeatError(f"heartbeat of {len(datagram)} bytes does not fit a datagram")
    return datagram


def decode(datagram: bytes, key: bytes) -> Heartbeat:
    """Verify the signature, then parse. Raises HeartbeatError on anything wrong."""
    if len(datagram) <= DIGEST_LEN:
        raise HeartbeatError("datagram too short")
    payload, digest = datagram[:-DIGEST_LEN], datagram[-DIGEST_LEN:]
    if not hmac.compare_digest(_digest(key, payload), digest):
        raise HeartbeatError("bad signature")
    try:
        msg = json.loads(zlib.decompress(payload))
    except (zlib.error, ValueError) as exc:
        raise HeartbeatError(f"undecodable payload: {exc}") from exc
    if not isinstance(msg, dict):
        raise HeartbeatError("payload is not an object")
    return Heartbeat.from_message(msg)
