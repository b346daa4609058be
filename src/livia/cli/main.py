"""The ``livia`` command: serve, tokens, instances, cleanup, and a tiny HTTP server.

Every setting comes from a flag, or else from an environment variable
``LIVIA_<FLAG>`` (``--state-dir`` ↔ ``LIVIA_STATE_DIR``), or else from the
defaults in ``livia.domain.settings.Settings``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from livia.domain.errors import LiviaError
from livia.domain.policy import Role
from livia.domain.quotas import Resource
from livia.domain.settings import Settings
from livia.domain.status import Topology

_DEFAULTS = Settings()

# flag -> (Settings field, type)
SETTING_FLAGS: dict[str, tuple[str, type]] = {
    "--state-dir": ("state_dir", Path),
    "--database-url": ("database_url", str),
    "--host": ("api_host", str),
    "--port": ("api_port", int),
    "--driver": ("driver", str),
    "--name-prefix": ("name_prefix", str),
    "--mgmt-cidr": ("mgmt_cidr", str),
    "--agent-port": ("agent_port", int),
    "--health-port": ("health_port", int),
    "--heartbeat-interval": ("heartbeat_interval", float),
    "--heartbeat-timeout": ("heartbeat_timeout", float),
    "--failover-threshold": ("failover_threshold", float),
    "--topology": ("default_topology", Topology),
    "--vrrp-advert-int": ("vrrp_advert_int", float),
    "--api-base-url": ("api_base_url", str),
    "--host-name": ("host_name", str),
    "--token-lifetime": ("token_lifetime", float),
    **{f"--default-quota-{r.value}": (f"default_quota_{r.value}", int) for r in Resource},
    "--region": ("region", str),
    "--max-request-body-size": ("max_request_body_bytes", int),
    "--http-header-timeout": ("http_header_timeout", float),
    "--http-body-timeout": ("http_body_timeout", float),
}


def _add_settings(parser: argparse.ArgumentParser, *, server: bool) -> None:
    for flag, (field, _kind) in SETTING_FLAGS.items():
        if not server and flag not in ("--state-dir", "--database-url", "--name-prefix",
                                       "--host", "--port", "--driver"):
            continue
        env = "LIVIA_" + flag[2:].upper().replace("-", "_")
        default = os.environ.get(env)
        extra: dict[str, Any] = {}
        if flag == "--driver":
            extra["choices"] = ["netns", "fake"]
        if flag == "--topology":
            extra["choices"] = [t.value for t in Topology]
        parser.add_argument(flag, dest=field, default=default, metavar=field.upper(),
                            help=f"(env {env}; default {getattr(_DEFAULTS, field)!s})", **extra)
    if server:
        parser.add_argument("--no-auth", action="store_true",
                            default=os.environ.get("LIVIA_NO_AUTH") == "1",
                            help="development only: every request is admin")
        parser.add_argument("--project-instances", action="store_true",
                            default=os.environ.get("LIVIA_PROJECT_INSTANCES") == "1",
                            help="(env LIVIA_PROJECT_INSTANCES=1) let projects' members "
                                 "create instances, which run confined; without it "
                                 "instances are admin-only")


def settings_from(args: argparse.Namespace) -> Settings:
    values: dict[str, Any] = {}
    for field, kind in SETTING_FLAGS.values():
        raw = getattr(args, field, None)
        if raw is not None:
            values[field] = kind(raw)
    for flag in ("no_auth", "project_instances"):
        if getattr(args, flag, False):
            values[flag] = True
    return dataclasses.replace(_DEFAULTS, **values)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="livia", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API, the controller and the health manager")
    _add_settings(serve, server=True)

    token = sub.add_parser("token", help="issue project-scoped API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="print a new token (stored hashed)")
    create.add_argument("--project", required=False, default=None)
    create.add_argument("--role", choices=[r.value for r in Role], default="member")
    create.add_argument("--description", default=None)
    _add_settings(create, server=False)

    inst = sub.add_parser("instance", help="the user's hosts: namespaces on tenant networks")
    inst_sub = inst.add_subparsers(dest="instance_command", required=True)
    ic = inst_sub.add_parser("create", help="create NAME on --network running COMMAND")
    ic.add_argument("--network", required=True, help="network name or id")
    ic.add_argument("--ip", default=None)
    ic.add_argument("--name", required=True)
    ic.add_argument("--no-wait", action="store_true")
    ic.add_argument("cmd", nargs=argparse.REMAINDER, help="-- COMMAND...")
    for name in ("list",):
        inst_sub.add_parser(name, help="list instances")
    ie = inst_sub.add_parser("exec", help="run COMMAND inside instance NAME")
    ie.add_argument("name")
    ie.add_argument("cmd", nargs=argparse.REMAINDER)
    idel = inst_sub.add_parser("delete", help="delete instance NAME")
    idel.add_argument("name")
    idel.add_argument("--no-wait", action="store_true")
    for child in (ic, ie, idel, inst_sub.choices["list"]):
        _add_settings(child, server=False)
        child.add_argument("--endpoint", default=os.environ.get("LIVIA_ENDPOINT"))

    stop = sub.add_parser("stop", help="stop the livia serve of the state directory (its "
                                       "pid file); the amphorae keep serving")
    _add_settings(stop, server=False)

    clean = sub.add_parser("cleanup", help="remove every namespace, bridge, process and file "
                                           "Livia created on this host")
    _add_settings(clean, server=False)
    clean.add_argument("--keep-state", action="store_true",
                       help="keep the database, keys and certificates")

    httpd = sub.add_parser("httpd", help="a small HTTP server for instances: answers its "
                                         "name, and 200 on /api")
    httpd.add_argument("--name", required=True)
    httpd.add_argument("--port", type=int, default=80)
    httpd.add_argument("--bind", default="0.0.0.0")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=os.environ.get("LIVIA_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.command == "httpd":
        from livia.cli.httpd import run

        return run(args.name, args.bind, args.port)
    settings = settings_from(args)
    try:
        return _run(settings, args)
    except LiviaError as exc:
        print(f"livia {args.command}: {exc.message}", file=sys.stderr)
        return 1


def _run(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "serve":
        from livia.cli.serve import serve

        asyncio.run(serve(settings))
        return 0
    if args.command == "token":
        from livia.cli.tokens import create_token

        return create_token(settings, args.project, args.role, args.description)
    if args.command == "instance":
        from livia.cli.instances import dispatch

        return dispatch(settings, args)
    if args.command == "stop":
        from livia.cli.pidfile import stop as stop_serve

        stopped = stop_serve(settings)
        print("livia serve stopped" if stopped else
              f"no livia serve runs on {settings.state_dir}")
        return 0
    if args.command == "cleanup":
        from livia.cli.cleanup import cleanup

        return cleanup(settings, keep_state=args.keep_state)
    return 2


if __name__ == "__main__":
    sys.exit(main())
