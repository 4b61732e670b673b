"""`make run` after a service died: the start script must tell a live service from a dead one.
A service killed with SIGKILL under a parent that never reaps it stays a zombie, which `kill -0`
takes for alive; a PID file may also name a PID that another program got since. The script's
own functions are run here on a run folder of the test's, with a stand-in for the services'
Python (it only sleeps), so nothing of the platform is started."""
from __future__ import annotations

import os
import signal
import subprocess
import time

from tests.infra import ROOT

PLATFORM = ROOT / "deploy/local/platform.sh"


def _script(tmp_path, body: str, **more_env: str) -> subprocess.CompletedProcess:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    python = venv / "bin/python"
    # `exec -a` keeps the command line a real service has ("... -m services.run NAME")
    python.write_text('#!/bin/bash\nexec -a "$0 $*" sleep 120\n')
    python.chmod(0o755)
    env = {**os.environ, "RUN_DIR": str(tmp_path / "run"), "VENV": str(venv), "SEARCH_PROCESSES": "1", **more_env}
    return subprocess.run(["bash", "-c", f'source "{PLATFORM}"; {body}'], env=env, capture_output=True,
                          text=True, timeout=60)


def _pids(tmp_path) -> dict[str, int]:
    return {p.stem: int(p.read_text()) for p in (tmp_path / "run/pids").glob("*.pid")}


def _stop(pids) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_alive_takes_neither_a_zombie_nor_another_program_for_a_service(tmp_path):
    zombie = subprocess.Popen(["sleep", "0"])      # never waited for: a zombie of this process
    other = subprocess.Popen(["sleep", "60"])
    try:
        deadline = time.monotonic() + 10
        while open(f"/proc/{zombie.pid}/stat").read().split(") ")[1][0] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(zombie.pid, 0)        # what the old check did: it says the zombie is alive
        checks = _script(tmp_path, f'alive {zombie.pid} && echo zombie-alive; alive {other.pid} && echo other-alive; '
                                   f'alive {other.pid} "services.run search" && echo other-is-search; '
                                   f'alive 999999999 && echo gone-alive; alive "" && echo empty-alive; true')
        assert checks.stdout.split() == ["other-alive"], checks.stderr
    finally:
        other.kill()
        other.wait()
        zombie.wait()


def test_make_run_starts_again_what_died_and_says_so(tmp_path):
    first = _script(tmp_path, "start_services")
    started = _pids(tmp_path)
    try:
        assert first.returncode == 0, first.stderr
        assert {"catalogue", "search", "intake", "notify", "analytics", "gateway"} <= set(started)
        os.kill(started["search"], signal.SIGKILL)      # setsid'd and reparented: init may never reap it
        os.kill(started["notify"], signal.SIGKILL)
        time.sleep(0.2)
        second = _script(tmp_path, "start_services")
        after = _pids(tmp_path)
        assert second.returncode == 0, second.stderr
        restarted = {line.split()[2] for line in second.stdout.splitlines() if line.startswith("==> restarted")}
        assert restarted == {"search", "notify"}, second.stdout
        assert "catalogue already running" in second.stdout
        assert after["catalogue"] == started["catalogue"] and after["search"] != started["search"]
        checks = _script(tmp_path, " ; ".join(f'alive_from "$PIDS/{n}.pid" "services.run {n}" && echo {n}'
                                             for n in ("search", "notify", "gateway")))
        assert checks.stdout.split() == ["search", "notify", "gateway"]
    finally:
        _stop({**started, **_pids(tmp_path)}.values())


def test_scale_two_runs_two_of_every_service_and_each_gateway_on_its_own_port(tmp_path):
    listed = _script(tmp_path, "instances; gateway_port gateway; gateway_port gateway-2; service_env gateway gateway-2",
                     SCALE="2", GATEWAY_PORT="8100")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.split()
    for service in ("catalogue", "search", "intake", "notify", "analytics", "gateway"):
        assert service in lines and f"{service}-2" in lines and f"{service}-3" not in lines
    assert lines[12:14] == ["8101", "8102"]                     # HAProxy listens on 8100
    assert "GATEWAY_PORT=8102" in lines and "TRUSTED_PROXIES=127.0.0.1/32" in lines
    alone = _script(tmp_path, "instances; gateway_port gateway", GATEWAY_PORT="8100")
    assert alone.stdout.split()[-1] == "8100" and "gateway-2" not in alone.stdout
    refused = _script(tmp_path, "true", SCALE="many")
    assert refused.returncode == 2 and "SCALE must be 1 to 9" in refused.stderr


def test_the_balancer_configuration_is_one_haproxy_accepts(tmp_path):
    from deploy.local.balancer import config

    path = tmp_path / "haproxy.cfg"
    path.write_text(config(8100, [8101, 8102], pidfile=str(tmp_path / "haproxy.pid")))
    checked = subprocess.run(["/usr/sbin/haproxy", "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "127.0.0.1:8101" in path.read_text() and "127.0.0.1:8102" in path.read_text()
