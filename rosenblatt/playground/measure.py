"""The playground's two acceptance numbers: ``python -m rosenblatt.playground.measure``.

1. Updates per second of a 2x4 tanh network (two hidden layers of four): the session alone
   (one epoch + losses + pictures + the JSON message), and as the page receives them from a
   running server (event-stream messages per second, capped by the server's ``max_rate``).
2. The server's resident memory, empty and with 20 sessions open, each watched by an event
   stream and training.

Needs the ``[playground]`` extra and httpx.  The numbers depend on the machine and its load.
"""
import argparse
import json
import socket
import subprocess
import sys
import threading
import time

__all__ = ["session_rate", "served"]


def session_rate(seconds=5.0, layers="4,4"):
    """Updates per second of one session computed in this process, message included."""
    from .params import parse
    from .session import Session
    s = Session(parse({"dataset": "xor", "layers": layers, "activation": "tanh"}))
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        s.update()
        json.dumps(s.snapshot(full=False))
        n += 1
    return n / (time.perf_counter() - t0)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _watch(client, url, counts, key, stop):
    with client.stream("GET", url, timeout=None) as r:
        for line in r.iter_lines():
            if line.startswith("data:"):
                counts[key] = counts.get(key, 0) + 1
            if stop.is_set():
                return


def served(sessions=20, seconds=5.0):
    """Start ``rosenblatt playground``; measure one watched 2x4 session's message rate, then RSS
    with ``sessions`` sessions open and training.  Returns a dict of the numbers."""
    import httpx
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "rosenblatt", "playground", "--port", str(port),
                             "--max-sessions", str(max(sessions, 32))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stop = threading.Event()
    out = {}
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(300):
                try:
                    client.get("/api/stats")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            out["rss_empty_mib"] = client.get("/api/stats").json()["rssMiB"]

            def open_session():
                sid = client.post("/api/sessions", json={"dataset": "xor", "layers": "4,4",
                                                         "activation": "tanh"}).json()["id"]
                threading.Thread(target=_watch, args=(httpx.Client(base_url=base), f"/api/sessions/{sid}/events",
                                                      counts, sid, stop), daemon=True).start()
                return sid
            counts = {}
            first = open_session()
            time.sleep(1.0)
            client.post(f"/api/sessions/{first}/play")
            before, t0 = counts.get(first, 0), time.perf_counter()
            time.sleep(seconds)
            out["one_session_updates_per_s"] = (counts.get(first, 0) - before) / (time.perf_counter() - t0)
            ids = [first] + [open_session() for _ in range(sessions - 1)]
            for sid in ids:
                client.post(f"/api/sessions/{sid}/play")
            time.sleep(1.0)
            before = {sid: counts.get(sid, 0) for sid in ids}
            t0 = time.perf_counter()
            time.sleep(seconds)
            dt = time.perf_counter() - t0
            rates = [(counts.get(sid, 0) - before[sid]) / dt for sid in ids]
            stats = client.get("/api/stats").json()
            out.update(sessions=stats["sessions"], watched=stats["watched"],
                       rss_sessions_mib=stats["rssMiB"],
                       per_session_updates_per_s_when_all_play=sum(rates) / len(rates))
    finally:
        stop.set()
        proc.terminate()
        proc.wait(timeout=10)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    print(f"session alone, 2x4 tanh: {session_rate(args.seconds):.1f} updates/s")
    for k, v in served(args.sessions, args.seconds).items():
        print(f"{k}: {v:.1f}" if isinstance(v, float) else f"{k}: {v}")


if __name__ == "__main__":
    main()
