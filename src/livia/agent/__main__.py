"""``python -m livia.agent --config <agent.json> [--debug]``: the amphora agent.

Started detached by the compute driver in the amphora's management
namespace, with stdout and stderr going to ``AmphoraPaths.agent_log``.
The two options are read by hand: ``argparse`` (and the ``gettext`` it
brings) would cost every agent about 0.4 MiB for them.
"""

from __future__ import annotations

import logging
import sys

from livia.agent.app import run
from livia.agent.config import load_boot_config

USAGE = "usage: python -m livia.agent --config AGENT_JSON [--debug]"


def parse(argv: list[str]) -> tuple[str, bool] | None:
    """(config path, debug) from the arguments; None when they are not understood."""
    config, debug, rest = None, False, list(argv)
    while rest:
        word = rest.pop(0)
        if word == "--debug":
            debug = True
        elif word == "--config" and rest:
            config = rest.pop(0)
        elif word.startswith("--config="):
            config = word.partition("=")[2]
        else:
            return None
    return (config, debug) if config else None


def main(argv: list[str] | None = None) -> int:
    parsed = parse(sys.argv[1:] if argv is None else argv)
    if parsed is None:
        print(USAGE, file=sys.stderr)
        return 2
    config, debug = parsed
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run(load_boot_config(config), config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
