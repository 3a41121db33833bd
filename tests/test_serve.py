"""`assistant serve`: loopback by default, privacy options always passed, bad options refused."""

from __future__ import annotations

import tomllib

from assistant.cli.main import main
from assistant.cli.serve import APP, child_environment, streamlit_command
from assistant.settings import PROJECT_ROOT, Settings


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_command_binds_loopback_and_turns_telemetry_off(tmp_path):
    settings = Settings.load(index=tmp_path / "idx", max_upload_mb=7)
    command = streamlit_command("127.0.0.1", 8600, settings)
    assert command[1:4] == ["-m", "streamlit", "run"] and command[4] == str(APP)
    assert option(command, "--server.address") == "127.0.0.1"
    assert option(command, "--browser.gatherUsageStats") == "false"
    assert option(command, "--server.enableXsrfProtection") == "true"
    assert option(command, "--server.maxUploadSize") == "7"
    assert option(command, "--client.toolbarMode") == "minimal"
    env = child_environment(settings)
    assert env["ASSISTANT_INDEX"] == str(tmp_path / "idx") and env["ASSISTANT_MAX_UPLOAD_MB"] == "7"


def test_config_file_matches_the_settings():
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["maxUploadSize"] == Settings().max_upload_mb
    assert config["client"]["toolbarMode"] == "minimal"


def test_bad_port_is_one_sentence(capsys):
    assert main(["serve", "--port", "70000"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("assistant: --port must be between 1 and 65535") and err.count("\n") == 1
