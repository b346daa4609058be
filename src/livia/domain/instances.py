"""Instances: the user's cloud hosts, each a namespace with a port running a command.

Instances are an operator's tool unless ``Settings.project_instances`` lets
projects have them:

- an admin's instance runs its command as root with only its network
  namespace changed (``confined`` False), as a test client or backend an
  operator controls;
- a project's instance is ``confined``: its command runs with a uid/gid of its
  own (``uid``), no supplementary groups, no capabilities, ``no_new_privs``,
  in its own mount, PID and IPC namespaces (private temporary directories,
  the secrets out of sight, ``/proc`` of its own PID namespace), within
  :data:`CONFINED_LIMITS`. Everything that says how is here.

Names are unique per project.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from livia.domain.errors import InvalidInput

BUILD, ACTIVE, DELETING, ERROR = "BUILD", "ACTIVE", "DELETING", "ERROR"

# A name is a host-name-like label: it is typed on command lines and used in URLs.
MAX_NAME_LENGTH = 63
NAME_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9_.-]{{0,{MAX_NAME_LENGTH - 1}}}$"

# The command is an argv, not a shell line: enough for a server with its flags or
# `sh -c '<a short script>'`, small enough to store and show with every instance.
DEFAULT_COMMAND = ("sleep", "infinity")
MAX_COMMAND_ARGS = 64
MAX_COMMAND_LENGTH = 4096  # characters of all the arguments together


@dataclass(frozen=True, slots=True)
class Instance:
    id: str
    project_id: str
    name: str
    network_id: str
    port_id: str | None
    command: tuple[str, ...]
    status: str
    created_at: datetime
    updated_at: datetime | None
    confined: bool = False
    uid: int | None = None  # a confined instance's uid and gid


def check_command(command: tuple[str, ...] | list[str]) -> None:
    if not command:
        raise InvalidInput("An instance's command needs at least one argument.")
    if len(command) > MAX_COMMAND_ARGS:
        raise InvalidInput(f"An instance's command takes at most {MAX_COMMAND_ARGS} "
                           f"arguments; this one has {len(command)}.")
    length = sum(len(arg) for arg in command)
    if length > MAX_COMMAND_LENGTH:
        raise InvalidInput(f"An instance's command takes at most {MAX_COMMAND_LENGTH} "
                           f"characters in all; this one has {length}.")
    if any("\0" in arg for arg in command):
        raise InvalidInput("An argument of an instance's command cannot hold a NUL character "
                           "(exec cannot pass it).")


# -- confined instances ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits (soft = hard) of a confined instance's processes."""

    processes: int = 256  # RLIMIT_NPROC: processes and threads of its uid
    open_files: int = 1024  # RLIMIT_NOFILE, per process
    address_space: int = 2 * 1024**3  # RLIMIT_AS, bytes per process
    file_size: int = 256 * 1024**2  # RLIMIT_FSIZE, bytes per file written (its log too)
    core: int = 0  # RLIMIT_CORE: no core dumps


CONFINED_LIMITS = Limits()

# One uid (= gid) per confined instance, from a range no host account and no
# container manager uses (systemd's container uids end at 1879048191; 2**31 - 1
# is the highest every tool takes): recorded on the instance's row.
CONFINED_ID_FIRST = 2_000_000_000
CONFINED_ID_COUNT = 65_536

# Empty, read-only tmpfs over these (and over the state directory, which holds
# the database, the admin token, keys and certificates): out of sight.
HIDDEN_DIRS = ("/run", "/root", "/home")
# Private tmpfs (mode 1777) over these: nothing shared with the host or other instances.
PRIVATE_DIRS = ("/tmp", "/var/tmp", "/dev/shm")
PRIVATE_DIR_SIZE = "64m"
PRIVATE_DIR_INODES = "16k"
WORKDIR = "/tmp"

# The only environment a confined command gets (none of livia serve's).
ENVIRONMENT = (("PATH", "/usr/local/bin:/usr/bin:/bin"), ("HOME", WORKDIR),
               ("LANG", "C.UTF-8"))

# Set in a confined instance's network namespace (both sysctls are per namespace):
# an unprivileged command may still serve on port 80 and open ICMP datagram sockets
# (a ping of its own; Debian's /usr/bin/ping carries file capabilities, and with an
# empty bounding set the kernel refuses to run it).
SYSCTLS = (("net.ipv4.ip_unprivileged_port_start", "0"),
           ("net.ipv4.ping_group_range", "0 2147483647"))
