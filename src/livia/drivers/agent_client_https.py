"""The controller's HTTPS client of the amphora agents (mutual TLS).

One ``httpx.AsyncClient`` for all agents, so connections are reused. The
client connects to the agent's address, but the certificate it accepts must
be signed by the local CA *and* name the amphora it meant to reach: the
amphora id travels as the TLS server name (SNI) and the hostname check is
made against it, not against the IP address.

Failures map onto the domain's tree: the agent unreachable, slow or answering
5xx (503 included: "not there yet", e.g. an interface not moved in) →
``TemporaryError``; a 4xx (a configuration the agent rejected, with the
validator's output) or a certificate naming another amphora →
``PermanentError``.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from typing import Any

import httpx

from livia.domain.errors import PermanentError, TemporaryError
from livia.drivers.agent_client import AgentEndpoint
from livia.protocol.agent import PREFIX, AgentInfo, AgentRuntimeConfig, PlugNetwork, PlugVip

READY_POLL = 0.02
READY_ATTEMPT_TIMEOUT = 0.5


def client_context(ca_pem_path: str, client_cert_path: str, client_key_path: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_pem_path)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(client_cert_path, client_key_path)
    return context


def _details(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:2000]
    if isinstance(body, dict):
        error, details = body.get("error", ""), body.get("details", "")
        return f"{error}: {details}" if details else str(error)
    return str(body)[:2000]


def _is_certificate_refusal(exc: httpx.HTTPError) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


class HttpsAgentClient:
    def __init__(self, ca_pem_path: str, client_cert_path: str, client_key_path: str,
                 connect_timeout: float = 10.0, request_timeout: float = 60.0) -> None:
        self._timeout = httpx.Timeout(request_timeout, connect=connect_timeout)
        self._client = httpx.AsyncClient(
            verify=client_context(ca_pem_path, client_cert_path, client_key_path),
            timeout=self._timeout,
            limits=httpx.Limits(max_keepalive_connections=200, keepalive_expiry=60.0),
            trust_env=False,
        )

    async def _request(self, agent: AgentEndpoint, method: str, route: str, *,
                       content: bytes | None = None, json: Any = None,
                       timeout: httpx.Timeout | None = None) -> httpx.Response:
        url = f"https://{_host(agent.address)}:{agent.port}{PREFIX}{route}"
        what = f"{method} {route} on amphora {agent.amphora_id} ({agent.address})"
        try:
            response = await self._client.request(
                method, url, content=content, json=json,
                headers={"Content-Type": "text/plain"} if content is not None else None,
                timeout=timeout or self._timeout,
                extensions={"sni_hostname": agent.amphora_id})
        except httpx.HTTPError as exc:
            if _is_certificate_refusal(exc):
                raise PermanentError(
                    f"{what}: the agent's certificate is not the one of amphora "
                    f"{agent.amphora_id}: {exc}") from exc
            raise TemporaryError(f"{what}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500:
            raise TemporaryError(f"{what}: {response.status_code} {_details(response)}")
        if response.status_code >= 400:
            raise PermanentError(f"{what}: {response.status_code} {_details(response)}")
        return response

    async def info(self, agent: AgentEndpoint) -> AgentInfo:
        return AgentInfo.from_dict((await self._request(agent, "GET", "/info")).json())

    async def wait_ready(self, agent: AgentEndpoint, timeout: float) -> AgentInfo:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TemporaryError(
                    f"agent of amphora {agent.amphora_id} not ready after {timeout}s: {last}")
            attempt = httpx.Timeout(min(READY_ATTEMPT_TIMEOUT, remaining))
            try:
                response = await self._request(agent, "GET", "/info", timeout=attempt)
                return AgentInfo.from_dict(response.json())
            except TemporaryError as exc:
                last = exc
            await asyncio.sleep(min(READY_POLL, max(0.0, deadline - time.monotonic())))

    async def plug_vip(self, agent: AgentEndpoint, plug: PlugVip) -> None:
        await self._request(agent, "POST", "/plug/vip", json=plug.to_dict())

    async def plug_network(self, agent: AgentEndpoint, plug: PlugNetwork) -> None:
        await self._request(agent, "POST", "/plug/network", json=plug.to_dict())

    async def put_haproxy(self, agent: AgentEndpoint, config: str) -> None:
        await self._request(agent, "PUT", "/haproxy", content=config.encode())

    async def put_keepalived(self, agent: AgentEndpoint, config: str) -> None:
        await self._request(agent, "PUT", "/keepalived", content=config.encode())

    async def stop_keepalived(self, agent: AgentEndpoint) -> None:
        await self._request(agent, "DELETE", "/keepalived")

    async def put_firewall(self, agent: AgentEndpoint, ruleset: str) -> None:
        await self._request(agent, "PUT", "/firewall", content=ruleset.encode())

    async def put_runtime_config(self, agent: AgentEndpoint, config: AgentRuntimeConfig) -> None:
        await self._request(agent, "PUT", "/config", json=config.to_dict())

    async def close(self) -> None:
        await self._client.aclose()


def _host(address: str) -> str:
    return f"[{address}]" if ":" in address else address
