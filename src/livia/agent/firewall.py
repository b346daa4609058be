"""The amphora's nftables ruleset (its security group), in the data namespace.

``nft -f`` applies the whole file in one transaction, so a ruleset is either
in force entirely or not at all: a refused one leaves the previous ruleset as it
was. Only then does ``nft -c -f`` (check, change nothing) tell an invalid ruleset
(rejected: the controller must not resend it) from one that failed for another
reason. The happy path is one ``nft`` run; it used to be a check and then an
apply, two process starts on every change of a listener's port.
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
            done = self._nft("-f", candidate)
            if done.ok:
                self._config.promote()
                log.info("firewall: ruleset applied")
                return "applied"
            check = self._nft("-c", "-f", candidate)
            self._config.reject()
            if not check.ok:
                log.warning("firewall: ruleset rejected: %s", check.output)
                raise failures.rejected("invalid nftables ruleset", check.output)
            log.error("firewall: ruleset failed to apply: %s", done.output)
            raise failures.failed("nftables ruleset failed to apply", done.output)

    def _nft(self, *args: str) -> Completed:
        return self._runner.run(in_netns(self._netns, ["nft", *args]))
