"""The command line that runs a project's instance command confined (util-linux only).

Started inside the instance's network namespace (``nsenter --net``), as root::

    unshare --mount --pid --ipc --fork --mount-proc     # own mount, PID and IPC namespaces
      sh -c SETUP sh HIDDEN… -- PRIVATE… --             # hide, privatise, cd; stays as PID 1
        prlimit --nproc … --core=0 --                   # limits, soft = hard
          setpriv --reuid U --regid U --clear-groups --inh-caps=-all
                  --bounding-set=-all --no-new-privs -- COMMAND…

``unshare --mount-proc`` gives it a ``/proc`` of its own PID namespace. The
setup script (still root, in the new mount namespace, which is private: none
of its mounts reach the host) mounts an empty read-only tmpfs over each
hidden directory and a private tmpfs over each private one, leaves the
working directory (the instance's, inside the state directory) for
``/tmp``, and runs the command. It stays as the PID namespace's init: it
reaps orphans, and on SIGTERM (``delete_instance`` sends it to every process
of the network namespace) it passes SIGTERM to the command, waits for it and
exits, which ends every process left in the PID namespace.

The values come from :mod:`livia.domain.instances`; the environment is set by
the caller (:data:`~livia.domain.instances.ENVIRONMENT`).
"""

from __future__ import annotations

from collections.abc import Sequence

from livia.domain.instances import (
    CONFINED_LIMITS,
    PRIVATE_DIR_INODES,
    PRIVATE_DIR_SIZE,
    PRIVATE_DIRS,
    WORKDIR,
    Limits,
)

# Arguments: hidden directories, "--", private directories, "--", the command.
SETUP = """set -eu
while [ "$1" != -- ]; do
    if [ -d "$1" ]; then mount -t tmpfs -o "$HIDDEN" livia-hidden "$1"; fi
    shift
done
shift
while [ "$1" != -- ]; do
    if [ -d "$1" ]; then mount -t tmpfs -o "$PRIVATE" livia-private "$1"; fi
    shift
done
shift
cd "$WORKDIR"
unset OLDPWD
child=
trap 'if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || :; wait "$child" || :; fi
      exit 143' TERM INT HUP
"$@" &
child=$!
set +e
wait "$child"
exit $?
"""

HIDDEN_OPTIONS = "ro,nosuid,nodev,noexec,mode=0555,size=16k,nr_inodes=16"


def private_options() -> str:
    return f"nosuid,nodev,mode=1777,size={PRIVATE_DIR_SIZE},nr_inodes={PRIVATE_DIR_INODES}"


def _setup_script() -> str:
    return (f"HIDDEN={HIDDEN_OPTIONS}; PRIVATE={private_options()}; WORKDIR={WORKDIR}\n"
            + SETUP)


def limits_argv(limits: Limits) -> list[str]:
    return ["prlimit", f"--nproc={limits.processes}", f"--nofile={limits.open_files}",
            f"--as={limits.address_space}", f"--fsize={limits.file_size}",
            f"--core={limits.core}", "--"]


def privileges_argv(uid: int) -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]


def argv(command: Sequence[str], *, uid: int, hidden: Sequence[str],
         limits: Limits = CONFINED_LIMITS) -> list[str]:
    """The argv that runs ``command`` confined as ``uid`` (= gid), with ``hidden`` out of sight."""
    if uid <= 0:
        raise ValueError(f"a confined command never runs as uid {uid}")
    return [
        "unshare", "--mount", "--pid", "--ipc", "--fork", "--mount-proc", "--",
        "sh", "-c", _setup_script(), "sh", *hidden, "--", *PRIVATE_DIRS, "--",
        *limits_argv(limits), *privileges_argv(uid), *command,
    ]
