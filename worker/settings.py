"""The only reader of the environment and of config files.

Settings come from, highest first: ``WIRESTREAM_*`` environment variables, the TOML file
(``WIRESTREAM_CONFIG``, default ``config/wirestream.toml``), the defaults below. Every
setting is listed with its default and a one-line comment in ``config/wirestream.toml``; a
test keeps the two in step. An invalid value raises :class:`ConfigError` naming the setting.
"""

from __future__ import annotations

import os
import re
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from worker.errors import ConfigError

ENV_PREFIX = "WIRESTREAM_"
CONFIG_ENV = "WIRESTREAM_CONFIG"
DEFAULT_CONFIG_PATH = Path("config/wirestream.toml")
CHECKOUT_ROOT = Path(__file__).resolve().parents[1]

Network = IPv4Network | IPv6Network
# A task killed by its hard time limit left kombu's unacked hash 0.14 s after the limit
# (measured on a loaded 2-core machine, worker/app.py); the margin covers a stalled machine.
VISIBILITY_MARGIN_SECONDS = 5
NAMESPACE_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"


class Settings(BaseSettings):
    # An empty variable means "not set here" (docker-compose passes `${NAME:-}` as ""), so it
    # never overrides the TOML file with an empty value.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", frozen=True, env_ignore_empty=True
    )

    redis_url: str | None = Field(
        None, description="Redis for broker, state and output; unset: an embedded server"
    )
    redis_cluster: bool = Field(
        False,
        description="redis_url names one node of a Redis Cluster: state and streams live on the"
        " cluster (hash-tagged keys), the Celery broker on broker_url",
    )
    broker_url: str | None = Field(
        None,
        description="Redis for the Celery broker alone (required with redis_cluster: kombu has no"
        " Cluster transport); unset: redis_url's",
    )
    redis_sentinels: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Sentinels as host:port (comma-separated); set: the primary is asked of"
        " them, and redis_url gives only the scheme, user, password and database",
    )
    redis_sentinel_master: str = Field(
        "wirestream", min_length=1, description="The primary's name the sentinels monitor"
    )
    redis_sentinel_password: str | None = Field(
        None, description="Password of the sentinels themselves; unset: none"
    )
    redis_failover_seconds: float = Field(
        30.0,
        gt=0,
        description="Seconds a Redis command is retried while the server is unreachable (a"
        " failover, a restart) before the command fails",
    )
    redis_socket_timeout: float = Field(
        10.0,
        gt=1,
        description="Seconds a Redis command waits for its reply before its connection counts"
        " as lost and the command is retried: a server whose host vanished (power, network)"
        " sends no reset. Above every blocking read (5 s) and publish_wait_timeout_ms",
    )
    redis_tls_ca_file: Path | None = Field(
        None, description="CA certificate that signed the Redis server's (rediss://); unset: system"
    )
    redis_tls_cert_file: Path | None = Field(
        None, description="Client certificate, for a Redis that asks for one (tls-auth-clients)"
    )
    redis_tls_key_file: Path | None = Field(None, description="The client certificate's key")
    publish_wait_replicas: int = Field(
        0,
        ge=0,
        description="Replicas that must confirm a publish (WAIT) before its task is acknowledged;"
        " 0: none",
    )
    publish_wait_timeout_ms: int = Field(
        500, ge=1, description="Milliseconds a publish waits for those replicas before going on"
    )
    acl_pipeline_password: str | None = Field(
        None, description="`wirestream acl`: password of the pipeline user (workers, beat)"
    )
    acl_consumer_password: str | None = Field(
        None, description="`wirestream acl`: password of the consumer user (reads the stream)"
    )
    acl_admin_password: str | None = Field(
        None, description="`wirestream acl`: password of the admin user (the CLI's writes)"
    )
    acl_replica_password: str | None = Field(
        None, description="`wirestream acl`: password of the replica user; unset: user off"
    )
    acl_sentinel_password: str | None = Field(
        None, description="`wirestream acl`: password of the sentinel user; unset: user off"
    )
    namespace: str = Field(
        "wirestream", pattern=NAMESPACE_PATTERN, description="Prefix of every Redis key"
    )
    data_dir: Path = Field(Path(".wirestream"), description="Embedded Redis data and beat state")
    allowed_networks: Annotated[list[Network], NoDecode] = Field(
        default_factory=list,
        description="CIDRs the fetcher may reach although private or loopback (comma-separated)",
    )
    user_agent: str = Field(
        "wirestream/0.1 (+https://github.com/wirestream/wirestream)",
        min_length=1,
        description="User-Agent sent with every request",
    )
    proxy_url: str | None = Field(
        None, description="HTTP(S) proxy for every fetch (http:// or https://); unset: direct"
    )
    host_rate: float = Field(
        1.0, gt=0, description="Requests per second to one host, shared by all workers"
    )
    host_rate_overrides: dict[str, float] = Field(
        default_factory=dict,
        description="Requests per second for named hosts (TOML table or JSON object)",
    )
    robots_ttl: int = Field(86_400, ge=60, description="Seconds a host's robots.txt is cached")
    robots_error_ttl: int = Field(
        600,
        ge=10,
        description="Seconds a host whose robots.txt fails (5xx, unreachable) counts as disallowed",
    )
    host_failure_threshold: int = Field(
        5, ge=1, description="Failures in a row (connection errors, 5xx) that park a host"
    )
    host_park_seconds: float = Field(
        120.0, gt=0, description="Seconds a failing host is parked before it is tried again"
    )
    connect_timeout: float = Field(5.0, gt=0, description="Seconds to open a connection")
    read_timeout: float = Field(10.0, gt=0, description="Seconds to wait for each read")
    total_timeout: float = Field(30.0, gt=0, description="Seconds for a whole response")
    max_redirects: int = Field(5, ge=0, le=20, description="Redirect hops followed per fetch")
    max_feed_bytes: int = Field(10_000_000, gt=0, description="Largest feed body accepted")
    max_page_bytes: int = Field(5_000_000, gt=0, description="Largest article body accepted")
    postgres_dsn: SecretStr | None = Field(
        None, description="PostgreSQL of `wirestream sink postgres` (libpq URI); unset: --dsn"
    )
    webhook_secret: SecretStr | None = Field(
        None, description="HMAC-SHA256 key `wirestream sink webhook` signs each request with"
    )
    webhook_timeout: float = Field(
        10.0, gt=0, description="Seconds a webhook request may take, connection included"
    )
    webhook_max_attempts: int = Field(
        6, ge=1, description="Attempts per entry before the webhook sink dead-letters it"
    )
    webhook_retry_base: float = Field(
        1.0, gt=0, description="Webhook sink: first retry delay in seconds, doubled each time"
    )
    webhook_retry_max: float = Field(
        60.0, gt=0, description="Webhook sink: longest retry delay, Retry-After included"
    )
    stream_maxlen: int = Field(
        1_000_000, gt=0, description="Approximate cap on <namespace>:articles entries"
    )
    stream_max_age: int = Field(
        0,
        ge=0,
        description="Seconds an entry stays in <namespace>:articles at least (approximate"
        " MINID trim); 0: no age limit, stream_maxlen alone",
    )
    dead_maxlen: int = Field(100_000, gt=0, description="Approximate cap on <namespace>:dead")
    consumer_max_deliveries: int = Field(
        5, ge=1, description="Deliveries of an entry to a group before it is dead-lettered"
    )
    consumer_min_idle: float = Field(
        60.0,
        gt=0,
        description="Seconds an entry stays pending with a consumer before another claims it",
    )
    seen_ttl_days: int = Field(90, gt=0, description="Days a feed entry is remembered as seen")
    article_ttl_days: int = Field(
        90, gt=0, description="Days a published article (URL and content hash) is remembered"
    )
    boilerplate_min_pages: int = Field(
        3, ge=2, description="Pages of one host a short line must recur on to count as boilerplate"
    )
    boilerplate_ttl_days: int = Field(
        30, gt=0, description="Days a host's line counts are kept after its last article"
    )
    dedupe_threshold: float = Field(
        0.75,
        gt=0,
        le=1,
        description="Similarity (Jaccard or containment) from which an article is a copy",
    )
    dedupe_window_days: float = Field(
        7, gt=0, le=90, description="Days an article stays in the near-duplicate index"
    )
    dedupe_mode: Literal["emit", "drop"] = Field(
        "emit", description="emit: copies as article.duplicate; drop: copies only counted"
    )
    poll_interval: int = Field(
        900,
        ge=10,
        description="Seconds between two polls of a feed whose publishing rate is unknown",
    )
    min_poll_interval: int = Field(
        300, ge=10, description="Shortest interval the publishing rate may set, in seconds"
    )
    max_poll_interval: int = Field(
        86_400, ge=10, description="Longest interval between polls, failing feeds included"
    )
    sitemap_freshness_hours: float = Field(
        48.0, gt=0, description="Sitemap entries dated longer ago than this are ignored"
    )
    poll_lease: int = Field(
        300, ge=10, description="Seconds a due feed is held for its poll before it is offered again"
    )
    beat_interval: float = Field(5.0, gt=0, description="Seconds between two due-feed sweeps")
    max_attempts: int = Field(5, ge=1, description="Attempts per task before dead-lettering")
    retry_backoff_base: float = Field(2.0, gt=0, description="First retry delay in seconds")
    retry_backoff_max: float = Field(300.0, gt=0, description="Longest retry delay in seconds")
    task_time_limit: int = Field(120, ge=5, description="Hard time limit of a task in seconds")
    visibility_timeout: int = Field(
        125,
        ge=10,
        description="Seconds before an unacknowledged task is redelivered (at least"
        f" task_time_limit + {VISIBILITY_MARGIN_SECONDS})",
    )
    unacked_restore_interval: float = Field(
        2.0, gt=0, description="Seconds between sweeps for unacknowledged tasks of dead workers"
    )
    worker_restart_limit: int = Field(
        5,
        ge=0,
        description="Restarts per minute of a worker (or beat) that run and worker allow before"
        " they give up on a crash loop",
    )
    broker_socket_timeout: float = Field(
        10.0,
        gt=1,
        description="Seconds a broker command or connection attempt may wait before the"
        " connection counts as lost",
    )
    feeds_concurrency: int = Field(64, ge=1, description="Threads of a feeds worker")
    articles_concurrency: int = Field(
        128, ge=1, description="Threads of an articles worker: fetches waiting at once"
    )
    articles_processes: int = Field(
        0,
        ge=0,
        description="Processes of an articles worker for extracting, tagging and"
        " fingerprinting; 0: one per core",
    )
    tags_file: Path = Field(
        Path("config/tags.toml"), description="Place, people, organisation and topic data"
    )
    rules_file: Path = Field(
        Path("config/rules.toml"), description="User rules: tag, drop or route articles"
    )
    ner_model: str = Field(
        "en_core_web_sm",
        description="spaCy pipeline for people and organisations; rules when not installed",
    )
    task_events: bool = Field(
        False,
        description="Workers send Celery's task events from the start; unset, they send them once"
        " Flower (or `celery control enable_events`) turns them on, within 5 s of its start",
    )
    soft_shutdown_timeout: float = Field(
        20.0,
        ge=0,
        description="Seconds a worker stopped with REMAP_SIGTERM=SIGQUIT lets running tasks"
        " finish, then requeues them",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level")
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="auto: console on a terminal, JSON otherwise"
    )

    @field_validator("allowed_networks", mode="before")
    @classmethod
    def _split_networks(cls, value: Any) -> Any:
        value = _comma_separated(value)
        if isinstance(value, list):
            return [
                ip_network(item, strict=False) if isinstance(item, str) else item for item in value
            ]
        return value

    @field_validator("redis_sentinels", mode="before")
    @classmethod
    def _split_sentinels(cls, value: Any) -> Any:
        return _comma_separated(value)

    @field_validator("redis_sentinels")
    @classmethod
    def _check_sentinels(cls, value: list[str]) -> list[str]:
        for address in value:
            host, colon, port = address.rpartition(":")
            if not (host and colon and port.isdigit() and 0 < int(port) < 65536):
                raise ValueError(f"{address!r} is not host:port")
        return value

    @field_validator("host_rate_overrides")
    @classmethod
    def _check_host_rates(cls, value: dict[str, float]) -> dict[str, float]:
        for host, rate in value.items():
            if rate <= 0:
                raise ValueError(f"rate for {host!r} must be greater than 0")
        return {host.strip().lower().rstrip("."): rate for host, rate in value.items()}

    @field_validator("proxy_url")
    @classmethod
    def _check_proxy_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("tags_file", "rules_file")
    @classmethod
    def _find_beside_the_code(cls, value: Path) -> Path:
        """A relative path missing from the working directory is looked up from the checkout
        the code runs from, so commands work from any directory (the demo, ``run``)."""
        if value.is_absolute() or value.exists():
            return value
        beside_code = CHECKOUT_ROOT / value
        return beside_code if beside_code.exists() else value

    @field_validator("redis_url", "broker_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    def _check_cluster(self) -> None:
        if not (self.redis_url or "").startswith(("redis://", "rediss://")):
            raise ValueError("redis_cluster needs a redis:// or rediss:// redis_url (a node)")
        if not self.broker_url:
            raise ValueError(
                "redis_cluster needs broker_url: Celery's broker (kombu) has no Redis Cluster"
                " transport, so it runs on a Redis of its own"
            )
        if self.redis_sentinels:
            raise ValueError("redis_cluster and redis_sentinels do not go together")
        if self.publish_wait_replicas:
            # WAIT must follow the publish on the connection to the slot's primary; a cluster
            # pipeline sends a keyless command to any node.
            raise ValueError("publish_wait_replicas is not supported with redis_cluster")

    @model_validator(mode="after")
    def _check_consistency(self) -> Settings:
        if self.redis_sentinels and not (self.redis_url or "").startswith(("redis", "rediss")):
            raise ValueError(
                "redis_sentinels need a redis:// or rediss:// redis_url for the user, password"
                " and database (its host is not used: the sentinels name the primary)"
            )
        if self.redis_cluster:
            self._check_cluster()
        if self.broker_url and self.redis_sentinels:
            raise ValueError(
                "broker_url and redis_sentinels do not go together: the sentinels name the one"
                " primary that serves both broker and state"
            )
        if self.publish_wait_timeout_ms / 1000 + 1 > self.redis_socket_timeout:
            raise ValueError(
                f"redis_socket_timeout ({self.redis_socket_timeout}) must be at least"
                f" publish_wait_timeout_ms / 1000 + 1 ({self.publish_wait_timeout_ms / 1000 + 1}):"
                " a publish's WAIT would count as a lost connection"
            )
        if bool(self.redis_tls_cert_file) != bool(self.redis_tls_key_file):
            raise ValueError("redis_tls_cert_file and redis_tls_key_file go together")
        if self.min_poll_interval > self.max_poll_interval:
            raise ValueError("min_poll_interval must not exceed max_poll_interval")
        if self.total_timeout < self.connect_timeout:
            raise ValueError("total_timeout must not be shorter than connect_timeout")
        # A task still running when the visibility timeout passes is delivered a second
        # time (kombu#337, celery#4400). Deferrals and retries wait in the task schedule,
        # not in a worker, so the longest a delivery stays unacknowledged is the hard time
        # limit (see worker/app.py).
        shortest = self.task_time_limit + VISIBILITY_MARGIN_SECONDS
        if self.visibility_timeout < shortest:
            raise ValueError(
                f"visibility_timeout ({self.visibility_timeout}) must be at least"
                f" task_time_limit + {VISIBILITY_MARGIN_SECONDS} ({shortest})"
            )
        return self

    def rate_for(self, host: str) -> float:
        """Requests per second allowed to ``host`` (a name or IP, without port)."""
        return self.host_rate_overrides.get(host, self.host_rate)

    @property
    def task_soft_time_limit(self) -> int:
        """What a task may take before it stops itself, to retry or dead-letter in the time
        left before the hard limit."""
        return max(round(self.task_time_limit * 0.9), 1)

    @property
    def seen_ttl_seconds(self) -> int:
        return self.seen_ttl_days * 86_400

    @property
    def article_ttl_seconds(self) -> int:
        return self.article_ttl_days * 86_400

    @property
    def boilerplate_ttl_seconds(self) -> int:
        return self.boilerplate_ttl_days * 86_400

    @property
    def dedupe_window_seconds(self) -> int:
        return round(self.dedupe_window_days * 86_400)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_path())
        return (init_settings, env_settings, toml)


def _comma_separated(value: Any) -> Any:
    """A list from an environment variable's comma-separated string; any other value as is."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH)


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the settings once; every error names the setting and the reason."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit and not Path(explicit).is_file():
        raise ConfigError(f"settings: {CONFIG_ENV}={explicit}: no such file")
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error)) from None
    except SettingsError as error:  # an environment variable that is not valid JSON
        raise ConfigError(describe_settings_error(error)) from None
    except ValueError as error:  # a TOML syntax error surfaces as a plain ValueError
        raise ConfigError(f"settings: {config_path()}: {error}") from None


def read_config_file(path: Path, what: str) -> str:
    """A config file's text; a missing or unreadable one is a ConfigError naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{what}: {path}: cannot read: {error}") from None


def describe_settings_error(error: SettingsError) -> str:
    """pydantic-settings names the field and the source; the user needs the variable."""
    found = re.search(r'field "(\w+)" from source "(\w+)"', str(error))
    if not found:
        return f"settings: {config_path()}: {error}"
    field, source = found.groups()
    variable = f"{ENV_PREFIX}{field.upper()}"
    if source == "EnvSettingsSource":
        value = os.environ.get(variable, "")
        return f"settings: {field} ({variable}): not valid JSON (got {value!r})"
    return f"settings: {field} ({config_path()}): {error.__cause__ or error}"


def describe_validation_error(error: ValidationError) -> str:
    """Each problem with the setting's name, where it can be set, and the reason."""
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"] if isinstance(part, str))
        value = item.get("input")
        shown = "" if isinstance(value, dict) else f" (got {value!r})"
        if not field:
            problems.append(f"{item['msg']}{shown}")
        elif item["type"] == "extra_forbidden":
            # Only the TOML file can carry a name that is no setting: the environment
            # source reads known names alone.
            problems.append(f"{config_path()}: {field!r} is not a setting{shown}")
        else:
            problems.append(f"{field} ({ENV_PREFIX}{field.upper()}): {item['msg']}{shown}")
    return "settings: " + "; ".join(problems)
