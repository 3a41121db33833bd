"""`assistant serve`: start the chat app (Streamlit) on this computer only, unless told otherwise.

The Streamlit process replaces this one (exec), so stopping `assistant serve` stops the app. The
privacy options are passed on the command line as well as in .streamlit/config.toml, so they hold
even when the app is started from another folder.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import ui
from assistant.cli.options import add_index_option
from assistant.errors import UsageError
from assistant.settings import PROJECT_ROOT, SETTINGS_HELP, Settings, env_name

APP = Path(ui.__file__).resolve().parent / "app.py"
LOOPBACK = "127.0.0.1"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="start the chat app in the browser",
        description="Start the chat app. It listens on 127.0.0.1 only; pass --host 0.0.0.0 to let "
        "other computers on the network reach it. Example: assistant serve --port 8501",
    )
    p.add_argument("--host", default=LOOPBACK, help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8501, help="port to listen on (default: 8501)")
    add_index_option(p)
    p.add_argument("--data-dir", dest="data_dir", help=SETTINGS_HELP["data_dir"])
    p.set_defaults(run=run)


def streamlit_command(host: str, port: int, settings: Settings) -> list[str]:
    """The `streamlit run` command line for the app."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.enableXsrfProtection", "true",
        "--server.maxUploadSize", str(settings.max_upload_mb),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
        "--client.showErrorDetails", "none",
    ]


def child_environment(settings: Settings) -> dict[str, str]:
    """This environment plus every setting as `ASSISTANT_*`, so the app sees the same settings."""
    env = dict(os.environ)
    for name in SETTINGS_HELP:
        env[env_name(name)] = str(getattr(settings, name))
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    return env


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, not {args.port}.")
    if not APP.exists():
        raise UsageError(f"The chat app is missing ({APP}); reinstall from the repository.")
    if args.host != LOOPBACK:
        print(f"assistant: serving on {args.host}: other computers on the network can reach the app.",
              file=sys.stderr)
    print(f"assistant: open http://{'localhost' if args.host == LOOPBACK else args.host}:{args.port} "
          "in your browser (Ctrl+C stops it).", file=sys.stderr)
    os.chdir(PROJECT_ROOT)  # Streamlit reads .streamlit/config.toml from the working folder
    command = streamlit_command(args.host, args.port, settings)
    os.execve(command[0], command, child_environment(settings))
    return 0  # not reached
