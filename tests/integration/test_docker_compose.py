"""docker-compose.yml describes the production shape; check it without a Docker engine."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
APP_SERVICES = ("migrate", "web", "worker", "scheduler")
SECRETS = {"SECRET_KEY": "compose-test-secret", "TENFOUR_ENCRYPTION_KEYS": "compose-test-key", "POSTGRES_PASSWORD": "pw"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _healthcheck_text(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def _depends_on(service: dict) -> dict:
    deps = service.get("depends_on", {})
    return {name: {"condition": "service_started"} for name in deps} if isinstance(deps, list) else deps


def test_compose_has_the_production_services(compose: dict) -> None:
    assert set(compose["services"]) == {"postgres", "redis", *APP_SERVICES}
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["redis"]["image"].startswith("redis:7")
    for name in APP_SERVICES:
        assert compose["services"][name]["image"].startswith("tenfour")
    assert compose["services"]["migrate"]["command"] == ["db", "upgrade"]
    assert compose["services"]["web"]["command"] == ["web"]
    assert compose["services"]["worker"]["command"] == ["worker"]
    assert compose["services"]["scheduler"]["command"] == ["scheduler"]


def test_databases_and_web_have_healthchecks(compose: dict) -> None:
    services = compose["services"]
    assert "pg_isready" in _healthcheck_text(services["postgres"])
    assert "redis-cli ping" in _healthcheck_text(services["redis"])
    assert "/healthz" in _healthcheck_text(services["web"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])


def test_migrate_waits_for_postgres_and_apps_wait_for_migrate(compose: dict) -> None:
    services = compose["services"]
    assert _depends_on(services["migrate"])["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "scheduler"):
        deps = _depends_on(services[name])
        assert deps["migrate"]["condition"] == "service_completed_successfully", name
        assert deps["postgres"]["condition"] == "service_healthy", name
        assert deps["redis"]["condition"] == "service_healthy", name


def test_app_services_get_urls_and_required_secrets(compose: dict) -> None:
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://tenfour:")
        assert env["DATABASE_URL"].endswith("@postgres:5432/tenfour")
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["SECRET_KEY"] == "${SECRET_KEY:?set SECRET_KEY}"
        assert env["TENFOUR_ENCRYPTION_KEYS"] == "${TENFOUR_ENCRYPTION_KEYS:?set TENFOUR_ENCRYPTION_KEYS}"


def test_only_the_web_port_is_published_and_never_6379_on_the_host(compose: dict) -> None:
    published = {}
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            spec = port if isinstance(port, str) else f"{port.get('published')}:{port['target']}"
            parts = str(spec).split(":")
            host_port = parts[-2] if len(parts) >= 2 else parts[-1]
            assert host_port.split("/")[0] != "6379", f"{name} binds 6379 on the host"
            published[name] = spec
    assert published == {"web": "8000:8000"}


def test_web_serves_on_port_8000_in_the_container(compose: dict) -> None:
    env = compose["services"]["web"]["environment"]
    assert (env["HOST"], str(env["PORT"])) == ("0.0.0.0", "8000")


def _env(**secrets: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return {**env, **secrets}


def _compose(env_file: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose); the YAML checks above still ran")
    return subprocess.run(
        [binary, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    env_file = tmp_path / "empty.env"  # so a developer's own .env cannot change the outcome
    env_file.write_text("")
    result = _compose(env_file, _env(**SECRETS))
    assert result.returncode == 0, result.stderr
    rendered = yaml.safe_load(result.stdout)
    assert rendered["services"]["web"]["environment"]["SECRET_KEY"] == SECRETS["SECRET_KEY"]


def test_docker_compose_names_a_missing_secret(tmp_path: Path) -> None:
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    result = _compose(env_file, _env(**{k: v for k, v in SECRETS.items() if k != "SECRET_KEY"}))
    assert result.returncode != 0
    assert "set SECRET_KEY" in result.stderr
