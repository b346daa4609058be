"""The small shell scripts HAProxy and keepalived call inside an amphora.

They are written by the agent at start (owned by root and not writable by
anyone else, as keepalived's script security wants) at the paths of ``AmphoraPaths`` that
the rendered configurations name. No Python in them: they run often.
HAProxy's external checks and keepalived's scripts may run with an empty
PATH, so every program is named by its absolute path.
"""

from __future__ import annotations

import os

from livia.agent.configfile import write_atomic
from livia.domain.amphorae import AmphoraPaths


def _program(name: str) -> str:
    """The absolute path of a program on PATH (``shutil.which`` without ``shutil``'s imports)."""
    for directory in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(directory or ".", name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
    return f"/usr/bin/{name}"


def ping_wrapper() -> str:
    """HAProxy passes <proxy_address> <proxy_port> <server_address> <server_port>."""
    ping = _program("ping")
    return (
        "#!/bin/sh\n"
        "# HAProxy PING health check: one echo to the server address, 1 s to answer.\n"
        'case "$3" in\n'
        f'  *:*) exec {ping} -6 -q -n -c 1 -W 1 "$3" >/dev/null 2>&1 ;;\n'
        f'  *) exec {ping} -4 -q -n -c 1 -W 1 "$3" >/dev/null 2>&1 ;;\n'
        "esac\n"
    )


def haproxy_check(paths: AmphoraPaths) -> str:
    """keepalived's track script: exit 0 iff this amphora's HAProxy master is alive."""
    return (
        "#!/bin/sh\n"
        f"read -r pid < {paths.haproxy_pid} 2>/dev/null || exit 1\n"
        '[ -n "$pid" ] || exit 1\n'
        'read -r comm < "/proc/$pid/comm" 2>/dev/null || exit 1\n'
        '[ "$comm" = haproxy ]\n'
    )


def vrrp_notify(paths: AmphoraPaths) -> str:
    """keepalived's notify: $1 GROUP|INSTANCE, $2 name, $3 state, $4 priority."""
    state = paths.vrrp_state_file
    return (
        "#!/bin/sh\n"
        'case "$3" in\n'
        "  MASTER|BACKUP|FAULT|STOP) ;;\n"
        "  *) exit 0 ;;\n"
        "esac\n"
        f'echo "$3" > {state}.tmp && {_program("mv")} -f {state}.tmp {state}\n'
    )


def install(paths: AmphoraPaths) -> None:
    """Write all three scripts (idempotent).

    The ping wrapper is 0755: HAProxy runs external checks as the user its
    configuration names, which may not be root.
    """
    for path, text, mode in (
        (paths.ping_wrapper, ping_wrapper(), 0o755),
        (paths.keepalived_check_script, haproxy_check(paths), 0o700),
        (paths.keepalived_notify_script, vrrp_notify(paths), 0o700),
    ):
        os.makedirs(os.path.dirname(path), mode=mode, exist_ok=True)
        write_atomic(path, text.encode(), mode)
