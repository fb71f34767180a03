"""The ASGI handler production runs: Django's, with a bounded pool of long-lived request threads.

Django's ASGI handler runs each request's synchronous code (middleware, views, the ORM) in a thread of
its own, made for that request and ended after it. A thread that lives for one request has a database
connection for one request: every request connected anew (loading SpatiaLite on SQLite, a TCP and auth
round trip on PostgreSQL), whatever ``CONN_MAX_AGE`` said — most of the cost of a small request.

``PooledASGIHandler`` gives each request one thread of a per-process pool instead
(``CITYWATCH_REQUEST_THREADS``, default 16): the request runs all its synchronous code on that one
thread, as Django requires, and the thread keeps its database connection for the next request
(``CONN_MAX_AGE``: five minutes unless ``CITYWATCH_DB_CONN_MAX_AGE`` says otherwise, with health
checks). A request that finds every thread busy waits for one (the pool bounds the process's database
connections at its size).

One thread hop per request, and a plain one: Django's ASGI handler leaves the event loop three times for
a synchronous application (the ``request_started`` signal, the middleware and view, closing the
response), each through asgiref's ``sync_to_async`` (a context copied there and back, a wrapper built per
call). Here the request's synchronous part — the signal, the middleware chain in its synchronous mode and
the view, and closing an answer that is not streamed (``request_finished``) — is one task submitted to
the thread's executor, run in the thread's own ``contextvars.Context`` (kept across its requests, as a
WSGI thread keeps its thread-locals), and the event loop then writes the answer. A body that came in one
message (every GET) is read into memory, not a spooled temporary file.

A streamed answer (a live stream: the Server-Sent Events of ``/events/`` and ``/incidents/events``; a
static file) gives its request thread back as soon as it is made. It is sent as Django sends it, watching
for the client going away, and what is left of it (a stream's database reads when woken, closing it)
runs on asgiref's one thread for thread-sensitive calls, shared by every stream of the process: 200 open
streams hold no request thread and no thread of their own.

``CITYWATCH_REQUEST_THREADS=0`` serves with Django's stock handler (the benchmark's baseline).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import contextvars
import io
import weakref
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse
from django.urls import ResolverMatch, set_script_prefix, set_urlconf

PERSISTENT_CONNECTION_SECONDS = 300


class RequestThread:
    """One long-lived request thread: a single-thread executor and the ``contextvars.Context`` every
    request on it runs in (kept from one request to the next, as a WSGI server's thread keeps its
    thread-locals: the language, the script prefix; the database connection is a true thread-local)."""

    __slots__ = ("executor", "context")

    def __init__(self):
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="citywatch-request")
        self.context = contextvars.Context()

    def run(self, function, *args) -> concurrent.futures.Future:
        return self.executor.submit(self.context.run, function, *args)


class RequestThreads:
    """The request threads of one event loop (one per process under uvicorn): made on demand up to
    ``size``, handed to one request at a time, most recently used first."""

    def __init__(self, size: int):
        self.size = size
        self.idle: list[RequestThread] = []
        self.made = 0
        self._waiters: collections.deque[asyncio.Future] = collections.deque()

    async def acquire(self) -> RequestThread:
        if self.idle:
            return self.idle.pop()
        if self.made < self.size:
            self.made += 1
            return RequestThread()
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

    def release(self, thread: RequestThread) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(thread)
                return
        self.idle.append(thread)


_pools: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def request_threads() -> RequestThreads:
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        pool = _pools[loop] = RequestThreads(settings.CITYWATCH_REQUEST_THREADS)
    return pool


class ResolvingHandler(BaseHandler):
    """Django's synchronous handler, which keeps the views it resolved by path (per process, up to
    ``RESOLVED_PATHS``): the URL patterns are code, fixed while the process lives, and resolving an API
    path tries every pattern before it in turn. A path that resolves to nothing is not kept."""

    RESOLVED_PATHS = 4096

    def __init__(self):
        super().__init__()
        self.resolved: dict[tuple[str | None, str], ResolverMatch] = {}

    def resolve_request(self, request):
        urlconf = getattr(request, "urlconf", None)
        key = (urlconf, request.path_info)
        match = self.resolved.get(key)
        if match is None:
            match = super().resolve_request(request)  # Resolver404 goes on to the 404 handling
            if len(self.resolved) >= self.RESOLVED_PATHS:
                self.resolved.clear()
            self.resolved[key] = match
            return match
        if urlconf is not None:
            set_urlconf(urlconf)
        request.resolver_match = match
        return match


class PooledASGIHandler(ASGIHandler):
    def __init__(self):
        super().__init__()
        # The same middleware in their synchronous mode, for the one call on the request's thread.
        self.synchronous = ResolvingHandler()
        self.synchronous.load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await self.on_request_thread(scope, body_file)
            if not response.streaming:  # answered and closed on the request's thread: only bytes are left
                await self.send_response(response, send)
            else:
                await self.stream(response, send, receive)
        finally:
            body_file.close()

    async def read_body(self, receive):
        """The request's body: in memory when it came in one message (every GET, most API writes; the
        size was bounded before, ``BodyLimitASGIMiddleware``), else Django's spooled file."""
        message = await receive()
        if message["type"] == "http.request" and not message.get("more_body", False):
            return io.BytesIO(message.get("body", b""))
        first = message

        async def again():
            nonlocal first
            if first is not None:
                message, first = first, None
                return message
            return await receive()

        return await super().read_body(again)

    async def on_request_thread(self, scope, body_file):
        """``serve`` on a thread of the pool; the thread goes back when it has finished (also when the
        client went away and this request's task was cancelled meanwhile)."""
        pool = request_threads()
        thread = await pool.acquire()
        try:
            future = thread.run(self.serve, scope, body_file)
        except BaseException:
            pool.release(thread)
            raise
        loop = asyncio.get_running_loop()
        future.add_done_callback(lambda _done: loop.call_soon_threadsafe(pool.release, thread))
        return await asyncio.wrap_future(future, loop=loop)

    async def stream(self, response, send, receive):
        """A streamed answer (a live stream, a static file), as Django's handler sends it: while a
        disconnect is watched for, whichever ends first ends the other. Its synchronous rest (a live
        stream's database reads when woken, a file's reads, closing it) runs on asgiref's one thread for
        thread-sensitive calls, shared by every stream of the process, not on a request thread."""

        async def sending():
            with contextlib.suppress(asyncio.CancelledError):  # the client went away while it was sent
                await self.send_response(response, send)

        tasks = [asyncio.create_task(self.listen_for_disconnect(receive)), asyncio.create_task(sending())]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                with contextlib.suppress(RequestAborted):
                    task.result()
            else:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if tasks[1].cancelled():
            await signals.request_finished.asend(sender=self.__class__)
        else:
            await sync_to_async(response.close, thread_sensitive=True)()

    def serve(self, scope, body_file):
        """The synchronous part of a request, on its thread: ``request_started``, the request, the
        middleware and view; an answer that is not streamed is closed here (``request_finished``)."""
        set_script_prefix(get_script_prefix(scope))
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


# --- the server processes -----------------------------------------------------------------------------
# ``citywatch serve`` replaces itself with ``python -m citywatch.serving …``: uvicorn serving
# ``citywatch.asgi:application``, with its own supervisor of worker processes (restarts a dead worker,
# SIGHUP restarts them all, SIGTERM stops them) and one difference. uvicorn's workers share one listening
# socket, and the worker that wakes first accepts every connection waiting: a client that opens its
# keep-alive connections at once (a proxy, a load test) may find all of them on one worker while the other
# cores idle. Here each worker listens on a socket of its own, bound to the same port with
# ``SO_REUSEPORT``: the kernel spreads new connections over the workers' sockets.


def reuse_port_socket(host: str, port: int):
    """A listening TCP socket on ``host:port`` that other sockets of this user may share (SO_REUSEPORT)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def worker_supervisor():
    """uvicorn's ``Multiprocess`` supervisor, starting worker ``i`` on socket ``i`` (a worker that died or
    was restarted is started on every socket, as uvicorn starts it: still correct, less even)."""
    from uvicorn.supervisors.multiprocess import Multiprocess, Process

    class Workers(Multiprocess):
        def init_processes(self) -> None:
            for sock in self.sockets[: self.processes_num]:
                process = Process(self.config, [sock])
                process.start()
                self.processes.append(process)

    return Workers


def run_server(argv: list[str] | None = None) -> None:
    """``python -m citywatch.serving --host H --port P --workers N [--no-access-log]
    [--graceful-shutdown S]``: the production server (``citywatch serve`` checks readiness first)."""
    import argparse
    import importlib.util

    import uvicorn

    from citywatch.proxies import uvicorn_options

    parser = argparse.ArgumentParser(prog="python -m citywatch.serving")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-access-log", action="store_true")
    parser.add_argument("--graceful-shutdown", type=float, default=5)
    args = parser.parse_args(argv)
    # uvloop's event loop and httptools' parser (both dependencies): uvicorn would pick them too, but
    # without them it falls back silently to asyncio's loop and the pure-Python h11 parser.
    fast = {
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
    }
    config = uvicorn.Config(
        "citywatch.asgi:application",
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=not args.no_access_log,
        timeout_graceful_shutdown=args.graceful_shutdown,
        server_header=False,
        **fast,
        **uvicorn_options(),
    )
    if args.workers <= 1:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            raise SystemExit(3)  # uvicorn's STARTUP_FAILURE
        return
    sockets = [reuse_port_socket(args.host, args.port) for _ in range(args.workers)]
    worker_supervisor()(config, sockets=sockets).run()


if __name__ == "__main__":
    run_server()
