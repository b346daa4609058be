"""``python -m livia.agent --config <agent.json>``: the amphora agent.

Started detached by the compute driver in the amphora's management
namespace, with stdout and stderr going to ``AmphoraPaths.agent_log``.
"""

from __future__ import annotations

import argparse
import logging
import sys

from livia.agent.app import run
from livia.agent.config import load_boot_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="livia.agent", description=__doc__)
    parser.add_argument("--config", required=True, help="path of agent.json")
    parser.add_argument("--debug", action="store_true", help="log at debug level")
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if args.debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run(load_boot_config(args.config), args.config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
