"""The controller's loop: find work in the database, converge it, repeat.

Level-triggered: the database holds the desired state, and every object in a
``PENDING_*`` state (or a security group ahead of what its amphorae enforce,
a floating IP or instance not yet on the host, a network being deleted) is
work. The API wakes the loop after each change; without a wake-up it polls.
Several controllers can share one database: a load balancer is converged by
whoever holds its lease.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from livia.controller import floatingips, instances, network_cleanup
from livia.controller import loadbalancers as lb_steps
from livia.controller.context import Controller
from livia.domain.errors import LiviaError, PermanentError, TemporaryError
from livia.store import loadbalancers

log = logging.getLogger(__name__)

# A load balancer that keeps failing with temporary errors is settled into
# ERROR after this long, so that nothing stays PENDING_* forever.
GIVE_UP_AFTER = 60.0
BACKOFF_MAX = 5.0
MAX_PARALLEL = 8


class Reconciler:
    def __init__(self, ctl: Controller) -> None:
        self.ctl = ctl
        self.wake_event = asyncio.Event()
        self.running: dict[str, asyncio.Task[None]] = {}
        self.first_failure: dict[str, float] = {}
        self.retry_at: dict[str, float] = {}
        self.failures: dict[str, int] = {}
        self.slots = asyncio.Semaphore(MAX_PARALLEL)
        self.loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Thread-safe: called by API handlers after they commit."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.wake_event.set)

    async def run(self, stop: asyncio.Event) -> None:
        self.loop = asyncio.get_running_loop()
        interval = self.ctl.settings.reconcile_poll_interval
        while not stop.is_set():
            self.wake_event.clear()
            try:
                await self.scan()
            except LiviaError as exc:
                log.warning("reconcile scan failed: %s", exc)
            waiter = asyncio.ensure_future(self.wake_event.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=interval,
                               return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
        await self.drain()

    async def drain(self) -> None:
        if self.running:
            await asyncio.gather(*self.running.values(), return_exceptions=True)

    async def scan(self) -> None:
        ids = await self.ctl.read(loadbalancers.work_ids)
        now = time.monotonic()
        for lb_id in ids:
            if lb_id in self.running or self.retry_at.get(lb_id, 0) > now:
                continue
            self.running[lb_id] = asyncio.create_task(self._one(lb_id))
        await instances.reconcile(self.ctl)
        await floatingips.reconcile(self.ctl)
        await network_cleanup.reconcile(self.ctl)

    async def _one(self, lb_id: str) -> None:
        try:
            async with self.slots:
                await self._with_lease(lb_id, lambda: lb_steps.converge(self.ctl, lb_id))
            self._forget(lb_id)
        except TemporaryError as exc:
            await self._temporary(lb_id, exc)
        except LiviaError as exc:
            await self._permanent(lb_id, exc)
        except Exception as exc:  # a bug must not leave the load balancer PENDING_* forever
            log.exception("load balancer %s: unexpected failure", lb_id)
            await self._permanent(lb_id, PermanentError(f"internal error: {exc!r}"))
        finally:
            self.running.pop(lb_id, None)
            self.wake_event.set()

    async def _with_lease(self, lb_id: str, work: Callable[[], Awaitable[None]]) -> None:
        ctl = self.ctl
        taken = await ctl.write(lambda c: loadbalancers.acquire_lease(
            c, lb_id, ctl.owner, ctl.settings.lease_seconds))
        if not taken:
            return
        try:
            await work()
        finally:
            await ctl.write(lambda c: loadbalancers.release_lease(c, lb_id, ctl.owner))

    async def _temporary(self, lb_id: str, exc: TemporaryError) -> None:
        now = time.monotonic()
        first = self.first_failure.setdefault(lb_id, now)
        if now - first > GIVE_UP_AFTER:
            await self._permanent(lb_id, PermanentError(f"gave up after {GIVE_UP_AFTER:.0f} s: "
                                                        f"{exc.message}"))
            return
        delay = min(BACKOFF_MAX, max(exc.delay, 0.1) * 2 ** min(self.attempts(lb_id), 6))
        self.failures[lb_id] = self.failures.get(lb_id, 0) + 1
        log.info("load balancer %s: %s (retrying in %.1f s)", lb_id, exc.message, delay)
        self.retry_at[lb_id] = now + delay

    def attempts(self, lb_id: str) -> int:
        return self.failures.get(lb_id, 0)

    def _forget(self, lb_id: str) -> None:
        self.first_failure.pop(lb_id, None)
        self.retry_at.pop(lb_id, None)
        self.failures.pop(lb_id, None)

    async def _permanent(self, lb_id: str, exc: LiviaError) -> None:
        self._forget(lb_id)
        await self.ctl.write(lambda c: lb_steps.fail(c, lb_id, exc.message))
