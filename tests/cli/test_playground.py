"""``rosenblatt playground``: its arguments and its message when the extra is missing
(the server itself is tested in tests/playground/)."""
import sys

import pytest

from rosenblatt.cli import build_parser, main


def test_arguments_and_defaults():
    args = build_parser(["playground"]).parse_args(["playground"])
    assert (args.host, args.port, args.open, args.max_sessions) == ("127.0.0.1", 8000, False, 32)
    args = build_parser(["playground"]).parse_args(["playground", "--port", "9000", "--open"])
    assert args.port == 9000 and args.open


@pytest.mark.parametrize("module", ["starlette", "uvicorn"])
def test_missing_extra_names_the_pip_command(monkeypatch, module):
    for name in [m for m in sys.modules if m == module or m.startswith(module + ".")] + [module]:
        monkeypatch.setitem(sys.modules, name, None)        # import fails as if not installed
    monkeypatch.delitem(sys.modules, "rosenblatt.playground.server", raising=False)
    with pytest.raises(SystemExit) as err:
        main(["playground"])
    assert str(err.value) == f"rosenblatt playground needs {module}: pip install 'rosenblatt[playground]'"


@pytest.mark.parametrize("argv, text", [(["--port", "70000"], "--port"), (["--max-sessions", "0"], "--max-sessions")])
def test_bad_arguments(argv, text):
    with pytest.raises(SystemExit) as err:
        main(["playground", *argv])
    assert text in str(err.value)
