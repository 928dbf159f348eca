"""``rosenblatt playground``: serve the MLP chapter as a live page (see docs/PLAYGROUND.md).

    rosenblatt playground [--host 127.0.0.1] [--port 8000] [--open] [--max-sessions 32]

Needs the optional extra: ``pip install 'rosenblatt[playground]'`` (Starlette and uvicorn).
"""
import sys
import threading

__all__ = ["add_playground_arguments", "playground"]

_INSTALL = "pip install 'rosenblatt[playground]'"


def add_playground_arguments(parser):
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--open", action="store_true", help="open the page in the web browser")
    parser.add_argument("--max-sessions", type=int, default=32, metavar="N",
                        help="most pages (tabs) served at once (default 32)")


def playground(args):
    """Run the server until interrupted; returns the exit status."""
    if not 0 <= args.port <= 65535:
        raise SystemExit(f"rosenblatt playground: --port must be in 0..65535, got {args.port}")
    if args.max_sessions < 1:
        raise SystemExit(f"rosenblatt playground: --max-sessions must be at least 1, got {args.max_sessions}")
    try:
        import uvicorn
        from ..playground.server import create_app
    except ImportError as err:
        missing = (getattr(err, "name", None) or "starlette").split(".")[0]
        raise SystemExit(f"rosenblatt playground needs {missing}: {_INSTALL}") from None
    url = f"http://{'localhost' if args.host in ('127.0.0.1', '::1') else args.host}:{args.port}/"
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {args.host}: other machines can reach this playground",
              file=sys.stderr)
    print(f"rosenblatt playground: {url}  (Ctrl+C stops it)", flush=True)
    if args.open:
        import webbrowser
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(create_app(max_sessions=args.max_sessions), host=args.host, port=args.port,
                log_level="warning")
    return 0
