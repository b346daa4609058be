"""The routes of the agent API (``livia.protocol.agent``), without the transport.

``AgentApi.handle(method, path, body)`` answers a ``Response``; the HTTPS
server in ``livia.agent.server`` only moves bytes. This is the one place
where failures become HTTP statuses.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from livia.agent.config import ConfigStore
from livia.agent.failures import AgentFailure, not_found, rejected
from livia.agent.firewall import Firewall
from livia.agent.haproxy import Haproxy
from livia.agent.heartbeat import Runtime, parse_target
from livia.agent.interfaces import Interfaces
from livia.agent.keepalived import Keepalived
from livia.protocol.agent import (
    API_VERSION,
    PREFIX,
    AgentInfo,
    AgentRuntimeConfig,
    PlugNetwork,
    PlugVip,
)

log = logging.getLogger("livia.agent.api")


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"


def json_response(status: int, document: dict[str, Any]) -> Response:
    return Response(status, json.dumps(document).encode())


def error_response(failure: AgentFailure) -> Response:
    return json_response(failure.status, {"error": failure.error, "details": failure.details})


Handler = Callable[[bytes], Response]


class AgentApi:
    def __init__(self, amphora_id: str, haproxy: Haproxy, keepalived: Keepalived,
                 firewall: Firewall, interfaces: Interfaces, runtime: Runtime,
                 store: ConfigStore) -> None:
        self._amphora_id = amphora_id
        self._haproxy = haproxy
        self._keepalived = keepalived
        self._firewall = firewall
        self._interfaces = interfaces
        self._runtime = runtime
        self._store = store
        self._routes: dict[tuple[str, str], Handler] = {
            ("GET", f"{PREFIX}/info"): lambda _: json_response(200, self.info().to_dict()),
            ("PUT", f"{PREFIX}/haproxy"): self._put_haproxy,
            ("GET", f"{PREFIX}/haproxy"): self._get_haproxy,
            ("PUT", f"{PREFIX}/keepalived"): self._put_keepalived,
            ("DELETE", f"{PREFIX}/keepalived"): self._stop_keepalived,
            ("PUT", f"{PREFIX}/firewall"): self._put_firewall,
            ("POST", f"{PREFIX}/plug/vip"): self._plug_vip,
            ("POST", f"{PREFIX}/plug/network"): self._plug_network,
            ("PUT", f"{PREFIX}/config"): self._put_config,
        }

    def handle(self, method: str, path: str, body: bytes) -> Response:
        route = self._routes.get((method, path.split("?", 1)[0]))
        if route is None:
            return error_response(not_found("no such route", f"{method} {path}"))
        try:
            return route(body)
        except AgentFailure as failure:
            return error_response(failure)
        except (ValueError, KeyError, TypeError) as exc:
            return error_response(rejected("malformed request", f"{type(exc).__name__}: {exc}"))

    def info(self) -> AgentInfo:
        return AgentInfo(
            amphora_id=self._amphora_id,
            api_version=API_VERSION,
            haproxy_version=self._haproxy.version(),
            keepalived_version=self._keepalived.version(),
            haproxy_running=self._haproxy.running_pid() is not None,
            keepalived_running=self._keepalived.running_pid() is not None,
            haproxy_config_sha256=self._haproxy.config.sha256(),
            keepalived_config_sha256=self._keepalived.config.sha256(),
            firewall_sha256=self._firewall.config.sha256(),
            interfaces=self._interfaces.macs(),
            stick_entries=self._haproxy.stick_entries(),
        )

    def _put_haproxy(self, body: bytes) -> Response:
        return json_response(200, {"result": self._haproxy.apply(body.decode())})

    def _get_haproxy(self, _: bytes) -> Response:
        text = self._haproxy.config.read()
        if text is None:
            return error_response(not_found("no haproxy configuration"))
        return Response(200, text.encode(), "text/plain; charset=utf-8")

    def _put_keepalived(self, body: bytes) -> Response:
        if self._keepalived.running_pid() is None:
            self._interfaces.release_vip_hold()
        return json_response(200, {"result": self._keepalived.apply(body.decode())})

    def _stop_keepalived(self, _: bytes) -> Response:
        if self._keepalived.running_pid() is not None:
            self._interfaces.hold_vip_locally()
        return json_response(200, {"result": self._keepalived.stop()})

    def _put_firewall(self, body: bytes) -> Response:
        return json_response(200, {"result": self._firewall.apply(body.decode())})

    def _plug_vip(self, body: bytes) -> Response:
        plug = PlugVip.from_dict(_document(body))
        return json_response(200, {"result": self._interfaces.plug_vip(plug)})

    def _plug_network(self, body: bytes) -> Response:
        plug = PlugNetwork.from_dict(_document(body))
        return json_response(200, {"result": self._interfaces.plug_network(plug)})

    def _put_config(self, body: bytes) -> Response:
        config = AgentRuntimeConfig.from_dict(_document(body))
        if not config.heartbeat_interval > 0:
            raise rejected("heartbeat_interval must be positive", str(config.heartbeat_interval))
        for target in config.health_targets:
            parse_target(target)
        self._store.save_runtime(config)
        self._runtime.set(config)
        log.info("runtime config: interval %ss, targets %s", config.heartbeat_interval,
                 ", ".join(config.health_targets) or "none")
        return json_response(200, {"result": "applied"})


def _document(body: bytes) -> dict[str, Any]:
    document = json.loads(body)
    if not isinstance(document, dict):
        raise rejected("malformed request", "the body is not a JSON object")
    return document
