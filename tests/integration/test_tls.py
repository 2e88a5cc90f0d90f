"""Every Redis connection over TLS (``rediss://``): a redis-server of the test's own with
``--tls-port`` only, certificates the test makes with the openssl command (a CA, the
server's for 127.0.0.1, a client's, as ``tls-auth-clients yes`` asks for one)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from deploy import free_port
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis_servers import RedisProcesses

from worker.adapters.redis_client import RedisOptions, connect
from worker.keys import Keys
from worker.simweb import SimWeb

Wirestream = Callable[..., subprocess.CompletedProcess[str]]


@dataclass(frozen=True)
class Certificates:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def make_certificates(directory: Path) -> Certificates:
    if shutil.which("openssl") is None:
        pytest.fail("the openssl command is needed to make the test's certificates")
    directory.mkdir(parents=True, exist_ok=True)
    ca, ca_key = directory / "ca.crt", directory / "ca.key"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=wirestream test CA", "-keyout", str(ca_key), "-out", str(ca))  # fmt: skip
    made = []
    for name, extension in (
        ("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
        ("client", "extendedKeyUsage=clientAuth\n"),
    ):
        key, request, cert = (directory / f"{name}.{ext}" for ext in ("key", "csr", "crt"))
        extfile = directory / f"{name}.ext"
        extfile.write_text(extension)
        openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                "-keyout", str(key), "-out", str(request))  # fmt: skip
        openssl("x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key),
                "-CAcreateserial", "-days", "2", "-extfile", str(extfile),
                "-out", str(cert))  # fmt: skip
        made += [cert, key]
    return Certificates(ca, *made)


@dataclass(frozen=True)
class TlsServer:
    port: int
    certificates: Certificates

    @property
    def url(self) -> str:
        return f"rediss://127.0.0.1:{self.port}/0"

    def settings_env(self) -> dict[str, str]:
        return {
            "WIRESTREAM_REDIS_URL": self.url,
            "WIRESTREAM_REDIS_TLS_CA_FILE": str(self.certificates.ca),
            "WIRESTREAM_REDIS_TLS_CERT_FILE": str(self.certificates.client_cert),
            "WIRESTREAM_REDIS_TLS_KEY_FILE": str(self.certificates.client_key),
        }


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[TlsServer]:
    certificates = make_certificates(tmp_path / "tls")
    servers = RedisProcesses(tmp_path / "redis")
    try:
        port = servers.server(
            "tls", "--tls-port", str(free_port()),
            "--tls-cert-file", str(certificates.server_cert),
            "--tls-key-file", str(certificates.server_key),
            "--tls-ca-cert-file", str(certificates.ca),
            "--tls-auth-clients", "yes",
            port=0,  # no plain TCP port at all
        )  # fmt: skip
        yield TlsServer(port, certificates)
    finally:
        servers.stop_all()


def test_pipeline_polls_processes_and_publishes_over_tls(
    tls_server: TlsServer, wirestream: Wirestream, simweb: SimWeb, keys: Keys
) -> None:
    env = tls_server.settings_env()
    added = wirestream("feeds", "add", "--no-check", simweb.feed_urls()[0], **env)
    assert added.returncode == 0, added.stderr

    run = wirestream("run", "--until-idle", "--timeout", "180", **env)

    assert run.returncode == 0, run.stderr[-3000:]
    certificates = tls_server.certificates
    client = connect(
        tls_server.url,
        RedisOptions(
            tls_ca_file=certificates.ca,
            tls_cert_file=certificates.client_cert,
            tls_key_file=certificates.client_key,
        ),
    )
    assert client.xlen(keys.articles_stream) > 0
    assert client.xlen(keys.dead_stream) == 0
    client.close()


def test_plain_tcp_and_unverified_servers_are_refused(
    tls_server: TlsServer, wirestream: Wirestream
) -> None:
    plain = redis.Redis(port=tls_server.port, socket_timeout=5, retry=Retry(NoBackoff(), 0))
    with pytest.raises(redis.ConnectionError):
        plain.ping()
    plain.close()

    # Without the CA that signed the server's certificate, the server is not trusted.
    env = {
        **tls_server.settings_env(),
        "WIRESTREAM_REDIS_TLS_CA_FILE": "",  # unset: the system's CAs
        # Never retried: a certificate that fails now fails in an hour (a retried command
        # would outlive the command's timeout here).
        "WIRESTREAM_REDIS_FAILOVER_SECONDS": "3600",
    }
    status = wirestream("status", **env, timeout=120)

    assert status.returncode == 1
    assert "certificate verify failed" in status.stderr
    assert "Traceback" not in status.stderr
