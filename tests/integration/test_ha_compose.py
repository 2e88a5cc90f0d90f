"""docker-compose.yml's ha profile: a replica of redis and three sentinels, health-checked,
resolved by the real Compose binary; every wirestream service waits for them when it is on."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy import resolved_services, run_compose, write_env_file

SENTINELS = {"sentinel-1", "sentinel-2", "sentinel-3"}


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    return write_env_file(
        tmp_path / ".env",
        REDIS_PASSWORD="s3cret-redis",
        FLOWER_PASSWORD="fl0w",
        WIRESTREAM_REDIS_SENTINELS="sentinel-1:26379,sentinel-2:26379,sentinel-3:26379",
    )


def test_compose_accepts_the_ha_profile(env_file: Path) -> None:
    result = run_compose(env_file, "--profile", "ha", "config", "--quiet")

    assert result.returncode == 0, result.stderr


def test_ha_profile_adds_a_health_checked_replica_and_three_sentinels(env_file: Path) -> None:
    plain = resolved_services(env_file)
    with_ha = resolved_services(env_file, "ha")

    assert set(with_ha) - set(plain) == {"redis-replica", *SENTINELS}
    replica = with_ha["redis-replica"]
    assert replica["command"][:4] == ["redis-server", "--replicaof", "redis", "6379"]
    assert "--masterauth" in replica["command"] and "--masterauth" in with_ha["redis"]["command"]
    for name in ("redis-replica", *SENTINELS):
        assert with_ha[name]["healthcheck"]["test"], name
        assert with_ha[name]["profiles"] == ["ha"]
    for name in SENTINELS:
        script = with_ha[name]["command"][0]
        assert "sentinel monitor wirestream redis 6379 2" in script
        # `config` prints a compose file, so the shell's variable stays escaped as $$.
        assert "sentinel auth-pass wirestream $$REDIS_PASSWORD" in script
        assert "ckquorum wirestream" in with_ha[name]["healthcheck"]["test"][1]
    assert len({with_ha[name]["volumes"][0]["source"] for name in SENTINELS}) == 3


def test_every_wirestream_service_follows_the_sentinels_when_ha_is_on(env_file: Path) -> None:
    services = resolved_services(env_file, "ha")

    for name in ("beat", "worker-feeds", "worker-articles", "flower", "metrics"):
        service = services[name]
        assert service["environment"]["WIRESTREAM_REDIS_SENTINELS"].count(":26379") == 3, name
        # beat waits for worker-feeds, which waits for the sentinels.
        waits_for = "worker-feeds" if name == "beat" else "sentinel-1"
        assert service["depends_on"][waits_for]["condition"] == "service_healthy", name
