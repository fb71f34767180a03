"""The ASGI handler production runs: Django's, with a bounded pool of long-lived request threads.

Django's ASGI handler runs each request's synchronous code (middleware, views, the ORM) in a thread of
its own, made for that request and ended after it. A thread that lives for one request has a database
connection for one request: every request connected anew (loading SpatiaLite on SQLite, a TCP and auth
round trip on PostgreSQL), whatever ``CONN_MAX_AGE`` said — most of the cost of a small request.

``PooledASGIHandler`` gives each request one thread of a per-process pool instead
(``CITYWATCH_REQUEST_THREADS``, default 16), through asgiref's ``ThreadSensitiveContext(executor=…)``:
the request still runs all its synchronous code on one thread, as Django requires, and the thread keeps
its database connection for the next request (``CONN_MAX_AGE``: five minutes unless
``CITYWATCH_DB_CONN_MAX_AGE`` says otherwise, with health checks). A request that finds
every thread busy waits for one (the pool bounds the process's database connections at its size).

A live stream (an async streaming response: the Server-Sent Events of ``/events/`` and
``/incidents/events``) gives its thread back as soon as its answer starts: what is left of the request
(its database reads when woken, closing it) runs on one thread shared by every stream of the process
(``STREAM_EXECUTOR``), so 200 open streams hold no request thread and no thread of their own.

One thread hop per request: Django's ASGI handler leaves the event loop three times for a synchronous
application (the ``request_started`` signal, the middleware and view, closing the response); here the
request's synchronous part — the signal, the middleware chain in its synchronous mode and the view, and
closing an answer that is not streamed (``request_finished``) — runs in one call on the request's thread,
and the event loop then writes the answer. A streamed answer (a live stream, a static file) is sent as
Django sends it, watching for the client going away, and closed after.

``CITYWATCH_REQUEST_THREADS=0`` serves with Django's stock handler (the benchmark's baseline).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import weakref
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse
from django.urls import set_script_prefix

PERSISTENT_CONNECTION_SECONDS = 300
# The synchronous rest of every live stream of this process (one thread).
STREAM_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="citywatch-streams")


class RequestThreads:
    """The request threads of one event loop (one per process under uvicorn): each a single-thread
    executor, made on demand up to ``size``, handed to one request at a time, most recently used first."""

    def __init__(self, size: int):
        self.size = size
        self.idle: list[ThreadPoolExecutor] = []
        self.made = 0
        self._waiters: list[asyncio.Future] = []

    async def acquire(self) -> ThreadPoolExecutor:
        if self.idle:
            return self.idle.pop()
        if self.made < self.size:
            self.made += 1
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="citywatch-request")
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release(waiter.result())  # handed over just as the request went away
            else:
                self._waiters.remove(waiter)
            raise

    def release(self, executor: ThreadPoolExecutor) -> None:
        while self._waiters:
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(executor)
                return
        self.idle.append(executor)


_pools: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def request_threads() -> RequestThreads:
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        pool = _pools[loop] = RequestThreads(settings.CITYWATCH_REQUEST_THREADS)
    return pool


class _Lease:
    """One request's thread: returned to the pool when the request ends, or earlier by a live stream."""

    def __init__(self, pool: RequestThreads, executor: ThreadPoolExecutor):
        self.pool = pool
        self.executor = executor
        self.context: ThreadSensitiveContext | None = None
        self.returned = False

    def give_back(self) -> None:
        if not self.returned:
            self.returned = True
            self.pool.release(self.executor)


_lease: contextvars.ContextVar[_Lease | None] = contextvars.ContextVar("citywatch_lease", default=None)


class PooledASGIHandler(ASGIHandler):
    def __init__(self):
        super().__init__()
        # The same middleware in their synchronous mode, for the one call on the request's thread.
        self.synchronous = BaseHandler()
        self.synchronous.load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        pool = request_threads()
        lease = _Lease(pool, await pool.acquire())
        token = _lease.set(lease)
        try:
            async with ThreadSensitiveContext(executor=lease.executor) as context:
                lease.context = context
                await self.handle(scope, receive, send)
        finally:
            _lease.reset(token)
            lease.give_back()

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        response = await sync_to_async(self.serve, thread_sensitive=True)(scope, body_file)
        if not response.streaming:  # answered and closed on the request's thread: only the bytes are left
            try:
                await self.send_response(response, send)
            finally:
                body_file.close()
            return

        async def stream():
            with contextlib.suppress(asyncio.CancelledError):  # the client went away while it was sent
                await self.send_response(response, send)

        # As Django's handler: the answer is sent while a disconnect is watched for; whichever ends first
        # ends the other.
        tasks = [asyncio.create_task(self.listen_for_disconnect(receive)), asyncio.create_task(stream())]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if tasks[1].cancelled():
            await signals.request_finished.asend(sender=self.__class__)
        else:
            await sync_to_async(response.close, thread_sensitive=True)()
        body_file.close()

    def serve(self, scope, body_file):
        """The synchronous part of a request, on its thread: ``request_started``, the request, the
        middleware and view; an answer that is not streamed is closed here (``request_finished``)."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.synchronous.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
        return response

    async def send_response(self, response, send):
        lease = _lease.get()
        if lease is not None and response.streaming and response.is_async and lease.context is not None:
            # A live stream: the rest of the request runs on the streams' thread.
            SyncToAsync.context_to_thread_executor[lease.context] = STREAM_EXECUTOR
            lease.give_back()
        return await super().send_response(response, send)


def get_application():
    """The Django ASGI application for ``citywatch.asgi``: the pooled handler, or Django's own with
    ``CITYWATCH_REQUEST_THREADS=0``."""
    import os

    import django

    django.setup(set_prefix=False)
    if settings.CITYWATCH_REQUEST_THREADS <= 0:
        return ASGIHandler()
    if "CITYWATCH_DB_CONN_MAX_AGE" not in os.environ:
        # Each pooled thread keeps its connection (checked before reuse) for this long.
        database = settings.DATABASES["default"]
        database["CONN_MAX_AGE"] = PERSISTENT_CONNECTION_SECONDS
        database["CONN_HEALTH_CHECKS"] = True
    return PooledASGIHandler()
