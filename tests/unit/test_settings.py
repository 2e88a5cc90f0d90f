"""Settings: defaults, TOML file, WIRESTREAM_* overrides, and errors that name the setting."""

from __future__ import annotations

import os
import re
import tomllib
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Any

import pytest

from worker.errors import ConfigError
from worker.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILE = REPO_ROOT / "config" / "wirestream.toml"
CONFIGURATION_DOC = REPO_ROOT / "docs" / "configuration.md"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No WIRESTREAM_* variable from the caller's shell, and a working directory without config/."""
    for name in list(os.environ):
        if name.startswith("WIRESTREAM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_config(directory: Path, text: str, name: str = "custom.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def field_default(name: str) -> Any:
    return Settings.model_fields[name].get_default(call_default_factory=True)


# --- defaults and sources -------------------------------------------------------------------


def test_without_config_file_or_environment_every_setting_has_its_default() -> None:
    settings = load_settings()

    assert settings.redis_url is None
    assert settings.namespace == "wirestream"
    assert settings.data_dir == Path(".wirestream")
    assert settings.allowed_networks == []
    assert settings.poll_interval == 900
    assert settings.visibility_timeout == 125
    assert settings.log_level == "INFO"
    for name in Settings.model_fields:
        if name in ("tags_file", "rules_file"):
            # Found beside the code when the working directory has no config/ of its own.
            assert getattr(settings, name).as_posix().endswith(field_default(name).as_posix())
            continue
        assert getattr(settings, name) == field_default(name), name


def test_ttl_properties_convert_days_to_seconds() -> None:
    settings = load_settings()

    assert settings.seen_ttl_seconds == 90 * 86_400
    assert settings.article_ttl_seconds == 90 * 86_400


def test_repository_config_file_loads_to_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)

    settings = load_settings()

    for name in Settings.model_fields:
        assert getattr(settings, name) == field_default(name), name


def test_toml_file_named_by_wirestream_config_overrides_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write_config(
        tmp_path,
        'namespace = "fromtoml"\npoll_interval = 60\nallowed_networks = ["10.0.0.0/8"]\n',
    )
    monkeypatch.setenv("WIRESTREAM_CONFIG", str(path))

    settings = load_settings()

    assert settings.namespace == "fromtoml"
    assert settings.poll_interval == 60
    assert settings.allowed_networks == [IPv4Network("10.0.0.0/8")]
    assert settings.read_timeout == field_default("read_timeout")


def test_default_config_path_is_read_relative_to_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    write_config(tmp_path / "config", 'namespace = "local"\n', name="wirestream.toml")

    assert load_settings().namespace == "local"


def test_environment_variable_overrides_the_toml_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write_config(tmp_path, 'namespace = "fromtoml"\npoll_interval = 60\n')
    monkeypatch.setenv("WIRESTREAM_CONFIG", str(path))
    monkeypatch.setenv("WIRESTREAM_POLL_INTERVAL", "120")

    settings = load_settings()

    assert settings.poll_interval == 120
    assert settings.namespace == "fromtoml"


def test_environment_variable_overrides_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIRESTREAM_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("WIRESTREAM_REDIS_URL", "redis://localhost:6379/3")

    settings = load_settings()

    assert settings.log_level == "DEBUG"
    assert settings.redis_url == "redis://localhost:6379/3"


def test_empty_redis_url_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIRESTREAM_REDIS_URL", "")

    assert load_settings().redis_url is None


def test_allowed_networks_from_environment_parse_comma_separated_cidrs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIRESTREAM_ALLOWED_NETWORKS", "127.0.0.0/8, ::1/128")

    networks = load_settings().allowed_networks

    assert networks == [IPv4Network("127.0.0.0/8"), IPv6Network("::1/128")]


def test_settings_are_frozen() -> None:
    settings = load_settings()

    with pytest.raises(ValueError):
        settings.poll_interval = 1  # type: ignore[misc]


# --- errors name the setting and the reason -------------------------------------------------


def test_bad_allowed_networks_raises_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIRESTREAM_ALLOWED_NETWORKS", "nonsense")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert "WIRESTREAM_ALLOWED_NETWORKS" in message
    assert "nonsense" in message
    assert "does not appear to be an IPv4 or IPv6 network" in message


def test_non_integer_poll_interval_raises_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIRESTREAM_POLL_INTERVAL", "abc")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert "WIRESTREAM_POLL_INTERVAL" in message
    assert "valid integer" in message
    assert "'abc'" in message


def test_out_of_range_value_raises_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIRESTREAM_POLL_INTERVAL", "5")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert "WIRESTREAM_POLL_INTERVAL" in message
    assert "greater than or equal to 10" in message


def test_redis_url_with_wrong_scheme_raises_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIRESTREAM_REDIS_URL", "http://localhost:6379")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert "WIRESTREAM_REDIS_URL" in str(caught.value)
    assert "redis://" in str(caught.value)


@pytest.mark.parametrize("visibility_timeout", ["60", "120", "124"])
def test_visibility_timeout_not_above_time_limit_by_the_margin_raises_config_error(
    monkeypatch: pytest.MonkeyPatch, visibility_timeout: str
) -> None:
    # Default task_time_limit 120: the timeout must be at least 125.
    monkeypatch.setenv("WIRESTREAM_VISIBILITY_TIMEOUT", visibility_timeout)

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert "visibility_timeout" in message
    assert "must be at least task_time_limit + 5 (125)" in message


def test_visibility_timeout_need_not_exceed_the_longest_retry_delay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Retries wait in the task schedule, not unacknowledged in a worker.
    monkeypatch.setenv("WIRESTREAM_RETRY_BACKOFF_MAX", "3600")

    assert load_settings().visibility_timeout == 125


def test_visibility_timeout_above_a_raised_task_time_limit_is_still_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIRESTREAM_TASK_TIME_LIMIT", "1000")

    with pytest.raises(ConfigError, match="visibility_timeout"):
        load_settings()

    monkeypatch.setenv("WIRESTREAM_VISIBILITY_TIMEOUT", "1005")
    assert load_settings().visibility_timeout == 1005


def test_total_timeout_shorter_than_connect_timeout_raises_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIRESTREAM_CONNECT_TIMEOUT", "40")

    with pytest.raises(ConfigError, match="total_timeout"):
        load_settings()


def test_unknown_key_in_toml_raises_config_error_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write_config(tmp_path, "poll_intervall = 60\n")
    monkeypatch.setenv("WIRESTREAM_CONFIG", str(path))

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert "poll_intervall" in message.lower()
    assert "is not a setting" in message


def test_unknown_key_in_toml_is_reported_against_the_file_not_an_environment_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write_config(tmp_path, "poll_intervall = 60\n")
    monkeypatch.setenv("WIRESTREAM_CONFIG", str(path))

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert str(path) in message or path.name in message
    assert "WIRESTREAM_POLL_INTERVALL" not in message


def test_bad_value_in_toml_raises_config_error_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write_config(tmp_path, 'max_redirects = "many"\n')
    monkeypatch.setenv("WIRESTREAM_CONFIG", str(path))

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert "max_redirects" in str(caught.value).lower()
    assert "valid integer" in str(caught.value)


def test_toml_syntax_error_raises_config_error_naming_the_file_and_position(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write_config(tmp_path, "poll_interval = = 3\n")
    monkeypatch.setenv("WIRESTREAM_CONFIG", str(path))

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert str(path) in message
    assert "line 1" in message


def test_wirestream_config_naming_a_missing_file_raises_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.toml"
    monkeypatch.setenv("WIRESTREAM_CONFIG", str(missing))

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert "WIRESTREAM_CONFIG" in message
    assert str(missing) in message
    assert "no such file" in message


def test_wirestream_config_naming_a_directory_raises_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WIRESTREAM_CONFIG", str(tmp_path))

    with pytest.raises(ConfigError, match="WIRESTREAM_CONFIG"):
        load_settings()


def test_config_error_message_starts_with_settings() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(poll_interval="abc")

    assert str(caught.value).startswith("settings: ")


# --- config/wirestream.toml documents every setting -----------------------------------------


def config_lines() -> list[str]:
    return CONFIG_FILE.read_text(encoding="utf-8").splitlines()


def line_index(lines: list[str], name: str, *, commented: bool) -> int | None:
    prefix = f"# {name} =" if commented else f"{name} ="
    matches = [i for i, line in enumerate(lines) if line.startswith(prefix)]
    assert len(matches) <= 1, f"{name} is listed {len(matches)} times"
    return matches[0] if matches else None


def test_config_file_lists_every_setting_with_a_comment_above_it() -> None:
    values = tomllib.loads(CONFIG_FILE.read_text(encoding="utf-8"))
    lines = config_lines()
    assert len(Settings.model_fields) >= 20

    for name in Settings.model_fields:
        if field_default(name) is None:
            assert name not in values, f"{name} defaults to None, so it has no TOML value"
            index = line_index(lines, name, commented=True)
            assert index is not None, f"{name} missing as a commented-out '# {name} =' line"
        else:
            assert name in values, f"{name} is not listed in {CONFIG_FILE.name}"
            index = line_index(lines, name, commented=False)
            assert index is not None, f"{name} is not a top-level 'name = value' line"
        above = lines[index - 1] if index > 0 else ""
        assert above.startswith("#") and above.lstrip("# ").strip(), (
            f"{name} has no '#' comment line above it"
        )


def test_config_file_values_equal_the_field_defaults() -> None:
    values = tomllib.loads(CONFIG_FILE.read_text(encoding="utf-8"))

    for name, value in values.items():
        assert name in Settings.model_fields, f"{name} is not a setting"
        default = field_default(name)
        if isinstance(default, Path):
            value = Path(value)
        assert value == default, f"{name}: TOML says {value!r}, the default is {default!r}"


def test_config_file_lists_no_key_that_is_not_a_setting() -> None:
    values = tomllib.loads(CONFIG_FILE.read_text(encoding="utf-8"))

    assert set(values) <= set(Settings.model_fields)
    assert set(values) == {n for n in Settings.model_fields if field_default(n) is not None}


def test_configuration_doc_table_lists_every_setting_and_no_other() -> None:
    text = CONFIGURATION_DOC.read_text(encoding="utf-8")
    documented = {name.lower() for name in re.findall(r"^\| `([A-Z0-9_]+)` \|", text, re.M)}

    assert documented == set(Settings.model_fields)


def test_empty_environment_variable_leaves_the_toml_value_in_place(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # docker-compose passes `${WIRESTREAM_ALLOWED_NETWORKS:-}` as an empty string.
    path = write_config(tmp_path, 'allowed_networks = ["10.0.0.0/8"]\n')
    monkeypatch.setenv("WIRESTREAM_CONFIG", str(path))
    monkeypatch.setenv("WIRESTREAM_ALLOWED_NETWORKS", "")

    assert load_settings().allowed_networks == [IPv4Network("10.0.0.0/8")]


def test_tag_and_rule_files_are_found_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    settings = load_settings()

    assert settings.tags_file.is_file()
    assert settings.rules_file.is_file()
    assert settings.tags_file.name == "tags.toml"


def test_a_publish_wait_as_long_as_the_socket_timeout_raises_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIRESTREAM_PUBLISH_WAIT_TIMEOUT_MS", "9500")  # socket timeout 10 s

    with pytest.raises(ConfigError, match=r"redis_socket_timeout \(10.0\) must be at least"):
        load_settings()

    monkeypatch.setenv("WIRESTREAM_REDIS_SOCKET_TIMEOUT", "11")
    assert load_settings().redis_socket_timeout == 11.0
