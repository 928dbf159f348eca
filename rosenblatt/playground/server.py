"""The playground's web server: a Starlette app, one training thread, server-sent events.

Routes (JSON unless said otherwise)::

    GET  /                          the page (static/index.html; static/ holds app.js, style.css)
    GET  /api/schema                every setting's default and choices
    GET  /api/stats                 open sessions, the cap, the server's resident memory
    POST /api/sessions              {settings} -> 201 {id, state}; 400 names a bad setting; 503 at the cap
    GET  /api/sessions/{id}         the session's state (settings, losses, weights, pictures, points)
    GET  /api/sessions/{id}/events  text/event-stream: a state after every change
    POST /api/sessions/{id}/config  {settings to change} -> the new settings (400 on a bad one)
    POST /api/sessions/{id}/{play|pause|step|reset|close}
    DELETE /api/sessions/{id}

Bounded work: at most ``max_sessions`` sessions; one thread trains every playing session in
turn, at most ``max_rate`` updates (epochs) a second each, holding one lock, so training uses
one core however many tabs are open.  A session whose page has gone (no event stream for
``idle_timeout`` seconds, or the page's ``close`` beacon) ends.
"""
import asyncio
import json
import math
import os
import secrets
import threading
import time
from pathlib import Path

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .params import ParamError, parse, schema
from .session import COMPUTE_LOCK, Session

__all__ = ["create_app", "SessionManager", "CapacityError", "STATIC"]

STATIC = Path(__file__).with_name("static")
MAX_BODY = 16 * 1024                   # a settings request is a few hundred bytes


class CapacityError(RuntimeError):
    pass


class _Entry:
    """A session and what the server knows about its page."""

    def __init__(self, sid, session):
        self.id = sid
        self.session = session
        self.playing = False
        self.streams = 0                   # open event streams (pages watching)
        self.last_seen = time.monotonic()
        self.next_due = 0.0
        self.error = None                  # why training stopped by itself (divergence)
        self.closed = False
        self.cached = None                 # (key, (state, event text)) made right after an update

    def key(self):
        """What the page has to be told about when it changes."""
        return self.session.version, self.playing, self.error


class SessionManager:
    """The sessions, their cap and expiry, and the thread that trains them."""

    def __init__(self, max_sessions=32, idle_timeout=10.0, max_rate=25.0):
        self.max_sessions = int(max_sessions)
        self.idle_timeout = float(idle_timeout)
        self.interval = 1.0 / float(max_rate)
        self._entries = {}
        self._lock = threading.Lock()      # guards the dict; COMPUTE_LOCK guards the computing
        self._stop = threading.Event()
        self._thread = None

    # -- the registry -----------------------------------------------------------------------------
    def create(self, params):
        with self._lock:
            if len(self._entries) >= self.max_sessions:
                raise CapacityError(f"too many sessions: the cap is {self.max_sessions}; close another "
                                    f"playground tab or restart with a larger --max-sessions")
        session = Session(params)          # built outside the registry lock (it computes)
        with self._lock:
            if len(self._entries) >= self.max_sessions:
                raise CapacityError(f"too many sessions: the cap is {self.max_sessions}")
            sid = secrets.token_urlsafe(9)
            entry = self._entries[sid] = _Entry(sid, session)
        return entry

    def get(self, sid):
        with self._lock:
            entry = self._entries.get(sid)
        if entry is not None:
            entry.last_seen = time.monotonic()
        return entry

    def close(self, sid):
        with self._lock:
            entry = self._entries.pop(sid, None)
        if entry is not None:
            entry.closed = True
            entry.playing = False
        return entry is not None

    def __len__(self):
        with self._lock:
            return len(self._entries)

    def watched(self):
        """How many sessions have a page watching (an open event stream)."""
        with self._lock:
            return sum(e.streams > 0 for e in self._entries.values())

    def reap(self, now=None):
        """End the sessions whose page has gone: no stream open and nothing heard for idle_timeout."""
        now = time.monotonic() if now is None else now
        with self._lock:
            gone = [sid for sid, e in self._entries.items()
                    if e.streams == 0 and now - e.last_seen > self.idle_timeout]
        for sid in gone:
            self.close(sid)
        return gone

    # -- training ---------------------------------------------------------------------------------
    def update(self, entry):
        """One update of ``entry``'s session; pauses it (with a message) if the loss diverges."""
        with np.errstate(all="ignore"):        # a diverging run is a lesson, not a crash
            entry.session.update()
        s = entry.session
        if not (math.isfinite(s.train_loss) and math.isfinite(s.test_loss)):
            entry.playing = False
            entry.error = "the loss diverged (try a smaller learning rate)"
        # encoded here, once per update, so that a stream never waits for the next update
        entry.cached = (entry.key(), _message(entry, False))

    def _loop(self):
        while not self._stop.is_set():
            now = time.monotonic()
            with self._lock:
                due = [e for e in self._entries.values() if e.playing and e.next_due <= now]
            for entry in due:
                if not entry.playing or entry.closed:
                    continue
                try:
                    self.update(entry)
                except Exception as err:             # keep serving the other sessions
                    entry.playing = False
                    entry.error = f"training stopped: {type(err).__name__}: {err}"
                entry.next_due = max(entry.next_due + self.interval, now)
            self.reap()
            with self._lock:
                pending = [e.next_due for e in self._entries.values() if e.playing]
            wait = min(pending, default=now + 0.05) - time.monotonic()
            self._stop.wait(min(max(wait, 0.002), 0.05))

    def start(self):
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="playground-trainer", daemon=True)
            self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def _finite(value):
    """JSON has no NaN or infinity: a diverged number is sent as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def state(entry, full=True):
    """The page's view of ``entry`` (consistent: taken under the compute lock)."""
    with COMPUTE_LOCK:
        s = entry.session.snapshot(full)
    s.update(id=entry.id, playing=entry.playing, error=entry.error)
    return _finite(s)


def _message(entry, full):
    """The state and its server-sent event (encoded off the event loop)."""
    msg = state(entry, full)
    return msg, f"data: {json.dumps(msg, separators=(',', ':'))}\n\n"


def _rss_mib():
    """This process's resident memory in MiB (Linux /proc; else the peak from getrusage)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- HTTP ---------------------------------------------------------------------------------------------
def _error(status, message, param=None):
    body = {"error": message}
    if param is not None:
        body["param"] = param
    return JSONResponse(body, status_code=status)


async def _json_body(request):
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise HTTPException(413, f"request body too large: at most {MAX_BODY} bytes of JSON settings")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "request body: expected a JSON object of settings") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "request body: expected a JSON object of settings, "
                                 f"got a JSON {type(body).__name__}")
    return body


def _entry(request):
    sid = request.path_params["sid"]
    entry = request.app.state.manager.get(sid)
    if entry is None:
        raise HTTPException(404, f"no session {sid!r}: it has ended (reload the page for a new one)")
    return entry


async def index(request):
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def get_schema(request):
    return JSONResponse(schema())


async def stats(request):
    manager = request.app.state.manager
    return JSONResponse({"sessions": len(manager), "watched": manager.watched(),
                         "maxSessions": manager.max_sessions, "rssMiB": round(_rss_mib(), 1)})


async def create_session(request):
    body = await _json_body(request)
    try:
        params = parse(body)
    except ParamError as err:
        return _error(400, str(err), err.param)
    manager = request.app.state.manager
    try:
        entry = await run_in_threadpool(manager.create, params)
    except CapacityError as err:
        return JSONResponse({"error": str(err)}, status_code=503, headers={"Retry-After": "30"})
    return JSONResponse(await run_in_threadpool(state, entry), status_code=201)


async def get_state(request):
    return JSONResponse(await run_in_threadpool(state, _entry(request)))


async def configure(request):
    entry = _entry(request)
    body = await _json_body(request)
    try:
        params = parse(body, base=entry.session.params)
    except ParamError as err:
        return _error(400, str(err), err.param)

    def apply():
        with COMPUTE_LOCK:
            entry.session.configure(params)
        entry.error = None
    await run_in_threadpool(apply)
    return JSONResponse({"params": params.to_dict()})


async def action(request):
    entry = _entry(request)
    name = request.path_params["action"]
    manager = request.app.state.manager
    if name == "play":
        entry.error = None
        entry.next_due = 0.0
        entry.playing = True
    elif name == "pause":
        entry.playing = False
    elif name == "step":
        entry.playing = False
        await run_in_threadpool(manager.update, entry)
    elif name == "reset":
        entry.playing = False
        entry.error = None
        await run_in_threadpool(entry.session.reset)
    elif name == "close":
        manager.close(entry.id)
        return JSONResponse({"closed": entry.id})
    else:
        return _error(404, f"unknown action {name!r}: expected play, pause, step, reset or close")
    return JSONResponse({"playing": entry.playing, "epoch": entry.session.epoch})


async def delete_session(request):
    entry = _entry(request)
    request.app.state.manager.close(entry.id)
    return JSONResponse({"closed": entry.id})


async def events(request):
    """Server-sent events: the full state first (and after every rebuild), then each update."""
    entry = _entry(request)

    async def stream():
        entry.streams += 1
        seen = run = None
        try:
            yield "retry: 1000\n\n"
            while not entry.closed:
                s, key, cached = entry.session, entry.key(), entry.cached
                if key != seen:
                    full = run != (s.run, s.data_version)      # new points or new curves
                    if not full and cached is not None and cached[0] == key:
                        msg, text = cached[1]
                    else:
                        msg, text = await run_in_threadpool(_message, entry, full)
                    seen = (msg["version"], msg["playing"], msg["error"])
                    run = (msg["run"], msg["dataVersion"])
                    yield text
                entry.last_seen = time.monotonic()
                await asyncio.sleep(0.02)
            yield 'event: closed\ndata: {}\n\n'
        finally:
            entry.streams -= 1
            entry.last_seen = time.monotonic()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _http_error(request, exc):
    return _error(exc.status_code, exc.detail)


async def _server_error(request, exc):
    return _error(500, f"internal error: {type(exc).__name__}: {exc}")


def create_app(max_sessions=32, idle_timeout=10.0, max_rate=25.0):
    """The Starlette app; ``app.state.manager`` is its :class:`SessionManager` (started with the app)."""
    manager = SessionManager(max_sessions, idle_timeout, max_rate)

    async def lifespan(app):
        manager.start()
        try:
            yield
        finally:
            manager.stop()

    from contextlib import asynccontextmanager
    routes = [
        Route("/", index),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/api/schema", get_schema),
        Route("/api/stats", stats),
        Route("/api/sessions", create_session, methods=["POST"]),
        Route("/api/sessions/{sid}", get_state, methods=["GET"]),
        Route("/api/sessions/{sid}", delete_session, methods=["DELETE"]),
        Route("/api/sessions/{sid}/events", events),
        Route("/api/sessions/{sid}/config", configure, methods=["POST"]),
        Route("/api/sessions/{sid}/{action}", action, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=os.fspath(STATIC)), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=asynccontextmanager(lifespan),
                    exception_handlers={HTTPException: _http_error, Exception: _server_error})
    app.state.manager = manager
    return app
