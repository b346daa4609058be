"""The amphora's nftables ruleset (its security group), in the data namespace.

``nft -c -f`` checks the ruleset against the namespace's current tables
without changing them; ``nft -f`` then applies the whole file in one
transaction, so a ruleset is either in force entirely or not at all.
"""

from __future__ import annotations

import logging
import threading

from livia.agent import failures
from livia.agent.configfile import ConfigFile
from livia.agent.system import Completed, Runner, in_netns
from livia.domain.amphorae import AmphoraPaths

log = logging.getLogger("livia.agent.firewall")


class Firewall:
    def __init__(self, paths: AmphoraPaths, netns: str, runner: Runner) -> None:
        self._netns = netns
        self._runner = runner
        self._config = ConfigFile(paths.firewall_rules)
        self._lock = threading.Lock()

    @property
    def config(self) -> ConfigFile:
        return self._config

    def apply(self, ruleset: str) -> str:
        with self._lock:
            candidate = self._config.stage(ruleset)
            check = self._nft("-c", "-f", candidate)
            if not check.ok:
                self._config.reject()
                log.warning("firewall: ruleset rejected: %s", check.output)
                raise failures.rejected("invalid nftables ruleset", check.output)
            self._config.promote()
            done = self._nft("-f", self._config.path)
            if done.ok:
                log.info("firewall: ruleset applied")
                return "applied"
            # nft -f is one transaction: the failed file changed nothing.
            self._config.restore()
            log.error("firewall: ruleset failed to apply: %s", done.output)
            raise failures.failed("nftables ruleset failed to apply", done.output)

    def _nft(self, *args: str) -> Completed:
        return self._runner.run(in_netns(self._netns, ["nft", *args]))
