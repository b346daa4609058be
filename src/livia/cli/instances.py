"""``livia instance create|list|exec|delete``: the user's hosts, through the running server."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import httpx

from livia.cli import state
from livia.domain.settings import Settings

WAIT_SECONDS = 60.0


class ApiError(Exception):
    pass


def _client(settings: Settings, endpoint: str | None) -> httpx.Client:
    token = (os.environ.get("LIVIA_TOKEN") or os.environ.get("OS_TOKEN")
             or state.read_admin_token(settings))
    base = endpoint or f"http://{settings.api_host}:{settings.api_port}"
    headers = {"X-Auth-Token": token} if token else {}
    return httpx.Client(base_url=base, headers=headers, timeout=30.0)


def _check(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        try:
            message = response.json().get("faultstring", response.text)
        except ValueError:
            message = response.text
        raise ApiError(f"{response.status_code}: {message}")
    return response.json() if response.content else {}


def _network_id(client: httpx.Client, name_or_id: str) -> str:
    for key in ("id", "name"):
        found = _check(client.get("/v2.0/networks", params={key: name_or_id}))["networks"]
        if len(found) == 1:
            return str(found[0]["id"])
        if len(found) > 1:
            raise ApiError(f"More than one network is named {name_or_id}; use its id.")
    raise ApiError(f"No network {name_or_id}.")


def _wait(client: httpx.Client, name: str, *, gone: bool) -> dict[str, Any] | None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        response = client.get(f"/v2.0/livia/instances/{name}")
        if gone and response.status_code == 404:
            return None
        if not gone:
            inst = _check(response)["instance"]
            if inst["status"] in ("ACTIVE", "ERROR"):
                return dict(inst)
        time.sleep(0.1)
    raise ApiError(f"instance {name} did not settle within {WAIT_SECONDS:.0f} s")


def _command(raw: list[str]) -> list[str]:
    return raw[1:] if raw and raw[0] == "--" else raw


def _print(rows: list[dict[str, Any]]) -> None:
    cols = ("name", "status", "ip_address", "command")
    table = [[str(r.get(c) if c != "command" else " ".join(r.get(c) or [])) for c in cols]
             for r in rows]
    widths = [max(len(c), *(len(t[i]) for t in table)) if table else len(c)
              for i, c in enumerate(cols)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(cols, widths, strict=True)))
    for t in table:
        print("  ".join(v.ljust(w) for v, w in zip(t, widths, strict=True)))


def dispatch(settings: Settings, args: argparse.Namespace) -> int:
    try:
        with _client(settings, getattr(args, "endpoint", None)) as client:
            return _run(settings, args, client)
    except (ApiError, httpx.HTTPError) as exc:
        print(f"livia instance {args.instance_command}: {exc}", file=sys.stderr)
        return 1


def _run(settings: Settings, args: argparse.Namespace, client: httpx.Client) -> int:
    cmd = args.instance_command
    if cmd == "create":
        body = {"name": args.name, "network_id": _network_id(client, args.network)}
        if args.ip:
            body["ip_address"] = args.ip
        command = _command(args.cmd)
        if command:
            body["command"] = command
        inst = _check(client.post("/v2.0/livia/instances", json={"instance": body}))["instance"]
        if not args.no_wait:
            inst = _wait(client, args.name, gone=False)
        _print([inst])
        return 0 if inst and inst["status"] != "ERROR" else 1
    if cmd == "list":
        _print(_check(client.get("/v2.0/livia/instances"))["instances"])
        return 0
    if cmd == "delete":
        _check(client.delete(f"/v2.0/livia/instances/{args.name}"))
        if not args.no_wait:
            _wait(client, args.name, gone=True)
        return 0
    if cmd == "exec":
        inst = _check(client.get(f"/v2.0/livia/instances/{args.name}"))["instance"]
        netns = _netns(settings, inst["id"])
        command = _command(args.cmd) or ["sh"]
        os.execvp("nsenter", ["nsenter", f"--net=/run/netns/{netns}", *command])
    return 2


def _netns(settings: Settings, instance_id: str) -> str:
    from livia.drivers.compute_netns import NetnsComputeDriver
    from livia.drivers.network_netns import NetnsNetworkDriver

    return NetnsComputeDriver(settings, NetnsNetworkDriver(settings)).instance_host(
        instance_id).netns
