"""How settings become redis-py and Celery connection parameters: one server or sentinels,
plain or TLS."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import redis
from redis._parsers.base import BaseParser

from worker.adapters.broker import SOCKET_TRANSPORT, TRANSPORT
from worker.adapters.redis_client import (
    PrimaryConnection,
    PrimarySSLConnection,
    RedisOptions,
    celery_transport,
    connect,
    redis_errors,
)
from worker.app import celery_config
from worker.errors import ConfigError, RetryableError
from worker.keys import Keys
from worker.settings import load_settings

SENTINELS = (("10.0.0.1", 26379), ("10.0.0.2", 26380))


def test_one_server_is_the_broker_url_as_given() -> None:
    config = celery_transport("redis://:pw@redis:6379/2")

    assert config["broker_url"] == "redis://:pw@redis:6379/2"
    assert config["broker_transport_options"] == {}
    assert "broker_use_ssl" not in config


def test_embedded_unix_socket_is_spelled_for_kombu() -> None:
    assert (
        celery_transport("unix:///data/redis.sock")["broker_url"]
        == "redis+socket:///data/redis.sock"
    )


def test_on_the_embedded_redis_celery_uses_our_transport_on_its_socket(tmp_path: Path) -> None:
    config = celery_config(load_settings(redis_url=None, data_dir=tmp_path))

    assert config["broker_url"] == f"socket://{tmp_path.resolve() / 'redis.sock'}"
    assert config["broker_transport"] == SOCKET_TRANSPORT


def test_sentinels_become_kombu_sentinel_urls_with_the_credentials_and_master_name() -> None:
    options = RedisOptions(sentinels=SENTINELS, sentinel_master="news", sentinel_password="s")

    config = celery_transport("redis://pipeline:secret@news/3", options)

    assert config["broker_url"] == (
        "sentinel://pipeline:secret@10.0.0.1:26379/3;sentinel://pipeline:secret@10.0.0.2:26380/3"
    )
    assert config["broker_transport_options"]["master_name"] == "news"
    assert config["broker_transport_options"]["sentinel_kwargs"] == {"password": "s"}


def test_rediss_sets_broker_use_ssl_with_the_certificate_checked(tmp_path: Path) -> None:
    options = RedisOptions(
        sentinels=SENTINELS,
        tls_ca_file=tmp_path / "ca.crt",
        tls_cert_file=tmp_path / "client.crt",
        tls_key_file=tmp_path / "client.key",
    )

    config = celery_transport("rediss://redis/0", options)

    assert config["broker_use_ssl"] == {
        "ssl_cert_reqs": ssl.CERT_REQUIRED,
        "ssl_ca_certs": str(tmp_path / "ca.crt"),
        "ssl_certfile": str(tmp_path / "client.crt"),
        "ssl_keyfile": str(tmp_path / "client.key"),
    }
    assert config["broker_transport_options"]["sentinel_kwargs"]["ssl"] is True


def test_sentinels_are_read_comma_separated_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIRESTREAM_REDIS_URL", "redis://:pw@wirestream/0")
    monkeypatch.setenv("WIRESTREAM_REDIS_SENTINELS", "10.0.0.1:26379, [::1]:26380")

    options = RedisOptions.from_settings(load_settings())

    assert options.sentinels == (("10.0.0.1", 26379), ("::1", 26380))


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"WIRESTREAM_REDIS_SENTINELS": "10.0.0.1"}, "'10.0.0.1' is not host:port"),
        ({"WIRESTREAM_REDIS_SENTINELS": "10.0.0.1:26379"}, "need a redis:// or rediss://"),
        (
            {"WIRESTREAM_REDIS_URL": "rediss://r/0", "WIRESTREAM_REDIS_TLS_CERT_FILE": "c.crt"},
            "redis_tls_cert_file and redis_tls_key_file go together",
        ),
        (
            {"WIRESTREAM_REDIS_URL": "redis://node/0", "WIRESTREAM_REDIS_CLUSTER": "true"},
            "redis_cluster needs broker_url",
        ),
        (
            {"WIRESTREAM_REDIS_URL": "unix:///r.sock", "WIRESTREAM_REDIS_CLUSTER": "true"},
            "redis_cluster needs a redis:// or rediss:// redis_url",
        ),
        (
            {
                "WIRESTREAM_REDIS_URL": "redis://node/0",
                "WIRESTREAM_REDIS_CLUSTER": "true",
                "WIRESTREAM_BROKER_URL": "redis://broker/0",
                "WIRESTREAM_PUBLISH_WAIT_REPLICAS": "1",
            },
            "publish_wait_replicas is not supported with redis_cluster",
        ),
        (
            {
                "WIRESTREAM_REDIS_URL": "redis://:pw@wirestream/0",
                "WIRESTREAM_REDIS_SENTINELS": "10.0.0.1:26379",
                "WIRESTREAM_BROKER_URL": "redis://broker/0",
            },
            "broker_url and redis_sentinels do not go together",
        ),
    ],
)
def test_an_incomplete_redis_deployment_is_a_config_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_with_a_cluster_celery_uses_the_broker_url_and_the_pipeline_the_cluster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIRESTREAM_REDIS_URL", "redis://node-1:7000/0")
    monkeypatch.setenv("WIRESTREAM_REDIS_CLUSTER", "true")
    monkeypatch.setenv("WIRESTREAM_BROKER_URL", "redis://broker:6379/0")
    settings = load_settings()

    config = celery_config(settings)

    assert config["broker_url"] == "redis://broker:6379/0"
    assert config["broker_transport"] == TRANSPORT
    assert RedisOptions.from_settings(settings).cluster
    assert Keys.for_settings(settings).articles_stream == "{wirestream}:articles"


@pytest.mark.parametrize(
    ("scheme", "connection_class"), [("redis", PrimaryConnection), ("rediss", PrimarySSLConnection)]
)
def test_a_client_through_sentinels_reconnects_through_them_over_tcp_and_tls(
    scheme: str, connection_class: type[PrimaryConnection]
) -> None:
    # Built without connecting: the pool makes its connections of this class.
    options = RedisOptions(sentinels=(("127.0.0.1", 26379),), sentinel_master="wirestream")
    client = connect(f"{scheme}://wirestream/0", options)

    assert client.connection_pool.connection_class is connection_class


@pytest.mark.parametrize(
    "reply",
    [
        "OOM command not allowed when used memory > 'maxmemory'.",
        "MISCONF Errors writing to the AOF file: No space left on device",
        "NOREPLICAS Not enough good replicas to write.",
    ],
)
def test_a_server_that_refuses_writes_for_now_is_a_retryable_failure(reply: str) -> None:
    refused = pytest.raises(RetryableError, match=r"publish: Redis refuses writes: .* https://a")
    with refused, redis_errors("publish", "https://a"):
        raise BaseParser.parse_error(reply)


def test_a_key_of_another_kind_is_a_config_error_naming_it_and_what_to_do() -> None:
    named = pytest.raises(ConfigError, match=r"publish: ns:articles: WRONGTYPE .* namespace")
    with named, redis_errors("publish", "ns:articles"):
        raise BaseParser.parse_error("WRONGTYPE Operation against a key holding the wrong kind")


def test_any_other_reply_error_is_left_as_it_is() -> None:
    left = pytest.raises(redis.ResponseError, match="BUSYGROUP")
    with left, redis_errors("publish", "https://a"):
        raise BaseParser.parse_error("BUSYGROUP Consumer Group name already exists")
