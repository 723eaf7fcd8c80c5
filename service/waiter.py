"""Waiting for a verdict without a thread or a sleep loop: one pub/sub listener per process.

Workers publish ``site|record`` on one channel when a verdict is stored; each api process keeps a
single subscription and wakes the requests waiting for that record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

__all__ = ["VerdictWaiter"]

log = logging.getLogger("commentguard.waiter")


class VerdictWaiter:
    """Futures keyed by record, resolved from a shared Redis subscription."""

    def __init__(self, redis_url: str, channel: str) -> None:
        self._url = redis_url
        self._channel = channel
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def _listen(self) -> None:
        while True:
            client = aioredis.from_url(self._url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        member = message["data"].decode()
                        for future in self._waiters.pop(member, set()):
                            if not future.done():
                                future.set_result(None)
            except (RedisError, OSError) as exc:
                log.warning("verdict subscription lost, reconnecting: %s", exc)
            finally:
                self._subscribed.clear()
                await client.aclose()
            await asyncio.sleep(0.5)

    async def wait(
        self, member: str, timeout: float, decided: Callable[[], Awaitable[bool]]
    ) -> bool:
        """True once ``member`` has a verdict, False after ``timeout`` seconds.

        Subscribes before asking ``decided`` so a verdict stored in between is not missed.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout)
        future: asyncio.Future[None] = loop.create_future()
        self._waiters.setdefault(member, set()).add(future)
        try:
            if await decided():
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(future, remaining)
            except TimeoutError:
                return False
            return True
        finally:
            waiting = self._waiters.get(member)
            if waiting is not None:
                waiting.discard(future)
                if not waiting:
                    self._waiters.pop(member, None)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
