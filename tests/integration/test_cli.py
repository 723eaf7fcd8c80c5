"""The command line for real: `commentguard up` from nothing, and `commentguard sites`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.embedded_redis import EmbeddedRedis, free_port
from tests.conftest import comment
from tests.procs import ROOT, wait_until


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def bare_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMENTGUARD_")}
    env.update(COMMENTGUARD_DATA_DIR=str(data_dir), **extra)
    return env


def test_up_starts_everything_from_nothing_and_stops_cleanly(tmp_path: Path) -> None:
    # given no Redis configured and an empty data folder
    port = free_port()
    env = bare_env(tmp_path / "var", COMMENTGUARD_ALLOW_PRIVATE_CALLBACKS="true")
    log = (tmp_path / "up.log").open("w")
    up = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "up", "--port", str(port), "--concurrency", "1"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        # when it is up
        output = lambda: (tmp_path / "up.log").read_text()  # noqa: E731
        wait_until(lambda: "Commentguard is up" in output(), 90, "commentguard up")
        token = (tmp_path / "var" / "admin-token").read_text().strip()
        assert token in output()
        # then the CLI finds its embedded Redis and makes a site
        made = cli(env, "sites", "create", "--name", "Blog", "--url", "https://b.example", "--json")
        assert made.returncode == 0, made.stderr
        site: dict[str, Any] = json.loads(made.stdout)
        # and a comment posted to it gets a verdict
        response = httpx.post(
            f"http://127.0.0.1:{port}/v1/comments?wait=10",
            json=comment("What a lovely view of the harbour."),
            headers={"Authorization": f"Bearer {site['api_key']}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert response.json()["verdict"]["decision"] == "approve"
        # and the demo fills the queue with sample comments, each with a verdict
        demo = cli(env, "demo", "--url", f"http://127.0.0.1:{port}")
        assert demo.returncode == 0, demo.stdout + demo.stderr
        decisions = [line.split()[0] for line in demo.stdout.splitlines() if line.startswith("  ")]
        assert len(decisions) == 8
        assert {"approve", "spam"} <= set(decisions)
        assert "hold" in decisions or "reject" in decisions
    finally:
        # and SIGTERM stops api, worker, beat and Redis
        os.killpg(up.pid, signal.SIGTERM)
        code = up.wait(60)
        log.close()
    assert code == 0
    assert "stopping" in (tmp_path / "up.log").read_text()
    assert not (tmp_path / "var" / "embedded-redis-url").exists()


@pytest.fixture
def redis_env(tmp_path: Path) -> Any:
    server = EmbeddedRedis(tmp_path / "redis").start()
    yield bare_env(tmp_path / "var", COMMENTGUARD_REDIS_URL=server.url)
    server.stop()


def test_sites_commands(redis_env: dict[str, str]) -> None:
    # given a site made on the command line
    made = cli(redis_env, "sites", "create", "--name", "Harbour News", "--url", "https://n.example",
               "--mode", "shadow", "--json")  # fmt: skip
    assert made.returncode == 0, made.stderr
    site = json.loads(made.stdout)
    assert site["api_key"].startswith("cgk_")
    assert site["webhook_secret"].startswith("whsec_")
    assert site["config"]["mode"] == "shadow"
    # then it is listed, without its secrets
    listed = cli(redis_env, "sites", "list", "--json")
    (row,) = json.loads(listed.stdout)
    assert row["id"] == site["id"]
    assert "api_key" not in row
    # and it can be updated and given a new key
    config = '{"mode": "premoderate", "words": {"block": ["casino"]}}'
    updated = cli(redis_env, "sites", "update", site["id"], "--name", "Harbour Times",
                  "--config", config, "--json")  # fmt: skip
    assert json.loads(updated.stdout)["name"] == "Harbour Times"
    assert json.loads(updated.stdout)["config"]["words"]["block"] == ["casino"]
    rotated = json.loads(cli(redis_env, "sites", "rotate-key", site["id"], "--json").stdout)
    assert rotated["api_key"] != site["api_key"]


def test_cli_errors_say_what_to_do(redis_env: dict[str, str], tmp_path: Path) -> None:
    missing = cli(redis_env, "sites", "rotate-key", "s_nope")
    assert missing.returncode == 1
    assert "commentguard sites list" in missing.stderr
    bad = cli(redis_env, "sites", "create", "--name", "x", "--url", "x",
              "--callback-url", "http://10.0.0.1/hook")  # fmt: skip
    assert bad.returncode == 2
    assert "callback_url" in bad.stderr
    nowhere = cli(bare_env(tmp_path / "empty"), "sites", "list")
    assert nowhere.returncode == 2
    assert "commentguard up" in nowhere.stderr
