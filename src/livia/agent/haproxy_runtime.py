"""Server weight and admin-state changes applied to a running HAProxy, without a reload.

When a new haproxy.cfg differs from the running one only in the ``weight`` or
the trailing ``disabled`` of some ``server`` lines, the running worker can be
told the same through its stats socket (``set server <backend>/<server> weight
N`` and ``state maint|ready``) and ``show servers state`` confirms it. The file
then becomes the current one for the next reload or start.

The running worker then no longer matches the file it was loaded from, and
HAProxy decides what to keep from the server-state file at the next reload by
comparing with the configuration it was started from (initial weight, the
configuration's maintenance flag). ``normalized_server_state`` rewrites the
saved state as if the worker had been started from what it runs now, so that
the next configuration wins wherever it differs.
"""

from __future__ import annotations

from dataclasses import dataclass

from livia.agent.haproxy_cli import HaproxyCli

# srv_admin_state bits (HAProxy's enum srv_admin)
FORCED_MAINT = 0x01  # "set server ... state maint", and "disabled" in the configuration
CONFIG_MAINT = 0x04  # "disabled" in the configuration
RUNNING = "2"  # srv_op_state SRV_ST_RUNNING


@dataclass(frozen=True, slots=True)
class ServerLine:
    """A ``server`` line as the renderer writes it: name, address, weight, flags."""

    name: str
    weight: int
    disabled: bool
    rest: tuple[str, ...]  # every other token, in order


def parse_server_line(line: str) -> ServerLine | None:
    words = line.split()
    if len(words) < 5 or words[0] != "server" or words[3] != "weight" or not words[4].isdigit():
        return None
    disabled = words[-1] == "disabled" and len(words) > 5
    others = words[5:-1] if disabled else words[5:]
    return ServerLine(words[1], int(words[4]), disabled, (words[2], *others))


@dataclass(frozen=True, slots=True)
class ServerChange:
    """What to change in one server; None where the value stays."""

    backend: str
    server: str
    weight: int | None
    disabled: bool | None

    def commands(self) -> list[str]:
        target = f"set server {self.backend}/{self.server}"
        out = [] if self.weight is None else [f"{target} weight {self.weight}"]
        if self.disabled is not None:
            out.append(f"{target} state {'maint' if self.disabled else 'ready'}")
        return out

    def holds_in(self, state: dict[tuple[str, str], tuple[int, int]]) -> bool:
        """True when ``show servers state`` (parsed) reports this change as done."""
        found = state.get((self.backend, self.server))
        if found is None:
            return False
        weight, admin = found
        if self.weight is not None and weight != self.weight:
            return False
        return self.disabled is None or bool(admin & FORCED_MAINT) == self.disabled


def _section(line: str, current: tuple[str, str]) -> tuple[str, str]:
    """The (keyword, name) of the section a line opens, else ``current``."""
    if not line[:1].strip() or line.startswith("#"):
        return current
    words = line.split()
    return words[0], words[1] if len(words) > 1 else ""


def _server_change(backend: str, old: str, new: str) -> ServerChange | None:
    before, after = parse_server_line(old), parse_server_line(new)
    if before is None or after is None or (before.name, before.rest) != (after.name, after.rest):
        return None
    return ServerChange(backend, after.name,
                        None if after.weight == before.weight else after.weight,
                        None if after.disabled == before.disabled else after.disabled)


def runtime_changes(old: str, new: str) -> tuple[ServerChange, ...] | None:
    """The server changes that turn ``old`` into ``new``; None if anything else differs.

    An empty tuple means the two texts are the same.
    """
    old_lines, new_lines = old.split("\n"), new.split("\n")
    if len(old_lines) != len(new_lines):
        return None
    changes = []
    section = ("", "")
    for before, after in zip(old_lines, new_lines, strict=True):
        section = _section(before, section)
        if before == after:
            continue
        change = _server_change(section[1], before, after) if section[0] == "backend" else None
        if change is None:
            return None
        changes.append(change)
    return tuple(changes)


def parse_server_state(text: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(backend, server) -> (user weight, admin state bits) from ``show servers state``."""
    found = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) > 7 and fields[0].isdigit() and fields[6].isdigit() and fields[7].isdigit():
            found[(fields[1], fields[3])] = (int(fields[7]), int(fields[6]))
    return found


def apply_at_runtime(cli: HaproxyCli, changes: tuple[ServerChange, ...]) -> str | None:
    """Send the changes to the worker; None once ``show servers state`` shows them all.

    Otherwise what went wrong (the worker may then hold some of the changes).
    """
    try:
        for change in changes:
            for command in change.commands():
                reply = cli.stats(command).strip()
                if reply:
                    return f"{command}: {reply}"
        state = parse_server_state(cli.stats("show servers state"))
    except OSError as exc:
        return f"stats socket: {exc}"
    missing = [f"{c.backend}/{c.server}" for c in changes if not c.holds_in(state)]
    return f"not in effect for {', '.join(missing)}" if missing else None


def _normalized_line(fields: list[str], column: dict[str, int]) -> list[str]:
    admin = int(fields[column["srv_admin_state"]])
    if admin & FORCED_MAINT:
        admin |= CONFIG_MAINT
    else:
        admin &= ~CONFIG_MAINT
    fields[column["srv_admin_state"]] = str(admin)
    fields[column["srv_iweight"]] = fields[column["srv_uweight"]]
    if admin & (FORCED_MAINT | CONFIG_MAINT):
        # A server in maintenance has no operational state worth keeping; saved as
        # stopped, a server without health checks would stay down once enabled.
        fields[column["srv_op_state"]] = RUNNING
    return fields


def normalized_server_state(text: str) -> str:
    """``show servers state`` rewritten as if the worker had been started as it runs now.

    The initial weight becomes the current one and the configuration's
    maintenance flag follows the forced one. Unknown layouts are left as they are.
    """
    lines = text.split("\n")
    header = next((line[1:].split() for line in lines if line.startswith("# be_id")), None)
    wanted = ("srv_op_state", "srv_admin_state", "srv_uweight", "srv_iweight")
    if header is None or not all(name in header for name in wanted):
        return text
    column = {name: header.index(name) for name in wanted}
    out = []
    for line in lines:
        fields = line.split(" ")
        if fields[0].isdigit() and len(fields) == len(header) and all(
                fields[column[name]].isdigit() for name in wanted):
            line = " ".join(_normalized_line(fields, column))
        out.append(line)
    return "\n".join(out)
