"""The parts of the team deployment (Dockerfile, deploy/) that run without Docker: the image's
entry command serves the app and answers the health check, HAProxy accepts the proxy's
configuration, and the compose file holds the services the README describes, wired together."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from bench.app_process import free_port

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
ENTRY = DEPLOY / "entrypoint.sh"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def _entry_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHON=sys.executable,
        QUARTERDECK_DATABASE_URL=f"sqlite:///{tmp_path / 'store.db'}",
        QUARTERDECK_DEMO="0",
        QUARTERDECK_SCHEDULER="off",
        ADDRESS="127.0.0.1",
        PORT=str(free_port()),
    )
    return env


def test_the_entry_command_serves_the_health_check_on_a_new_store(tmp_path: Path) -> None:
    # No command: the server, which migrates the new store as it starts (compose runs
    # `entrypoint.sh init` first, so that two processes never migrate at once).
    env = _entry_env(tmp_path)
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(ENTRY)], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        health = f"http://127.0.0.1:{env['PORT']}/api/v1/health"
        deadline, answer = time.monotonic() + 90, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(health, timeout=3) as reply:
                    answer = (reply.status, json.loads(reply.read()))
                    break
            except OSError:
                time.sleep(0.5)
        assert answer is not None, f"no answer from {health}:\n{log.read_text()}"
        status, body = answer
        assert status == 200 and body["status"] == "ok", body
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


def _self_signed(tmp_path: Path) -> Path:
    """A throwaway certificate and key in one PEM file, as HAProxy's `crt` takes them."""
    pytest.importorskip("cryptography")
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "quarterdeck.example.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / "quarterdeck.pem"
    pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pem


def _check_haproxy(config: Path, pem: Path) -> subprocess.CompletedProcess[str]:
    if not Path(HAPROXY).exists():
        pytest.fail("haproxy is missing: scripts/test.sh installs Debian's haproxy package")
    env = dict(os.environ, QUARTERDECK_TLS_PEM=str(pem))
    return subprocess.run(
        [HAPROXY, "-c", "-f", str(config)], env=env, capture_output=True, text=True, timeout=60
    )


def test_haproxy_accepts_the_proxy_configuration_and_refuses_a_broken_one(tmp_path: Path) -> None:
    pem = _self_signed(tmp_path)
    checked = _check_haproxy(DEPLOY / "haproxy.cfg", pem)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Configuration file is valid" in checked.stdout + checked.stderr

    # The checker is not a rubber stamp: a misspelt keyword fails it.
    broken = tmp_path / "broken.cfg"
    broken.write_text((DEPLOY / "haproxy.cfg").read_text().replace("balance ", "balanse ", 1))
    assert _check_haproxy(broken, pem).returncode != 0


def test_the_compose_file_runs_two_app_processes_behind_the_sticky_proxy() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "migrate", "app1", "app2", "proxy"}
    for app in ("app1", "app2"):
        service = services[app]
        assert service["build"] == {"context": "..", "dockerfile": "Dockerfile"}
        assert service["command"] == ["serve"]
        url = service["environment"]["QUARTERDECK_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://") and "@db:5432/" in url
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"] == ["init"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    proxy = services["proxy"]
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in proxy["volumes"]
    # The proxy's back ends are the compose services, each with its own sticky cookie.
    config = (DEPLOY / "haproxy.cfg").read_text()
    assert "cookie QD_PROCESS insert" in config
    for app in ("app1", "app2"):
        assert f"server {app} {app}:8501 cookie {app}" in config
    assert (ROOT / "Dockerfile").read_text().count("ENTRYPOINT") == 1
    assert '"/app/deploy/entrypoint.sh"' in (ROOT / "Dockerfile").read_text()
