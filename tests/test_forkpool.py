"""The fork pool the segments and report stages map their independent reports and sessions with."""

from __future__ import annotations

import os

import pytest

from pipeline import forkpool
from pipeline.forkpool import fork_map, forked_map

pytestmark = pytest.mark.skipif(not forkpool.can_fork(), reason="no fork start method here")


def test_results_come_back_in_item_order_from_other_processes():
    table = {i: i * i for i in range(50)}  # a closure over parent data: inherited by fork, not pickled

    def square_and_pid(i: int) -> tuple[int, int]:
        return table[i], os.getpid()

    got = fork_map(square_and_pid, list(range(50)), 2)
    assert [v for v, _ in got] == [i * i for i in range(50)]
    assert os.getpid() not in {pid for _, pid in got}


@pytest.mark.parametrize("workers", [1, 5])
def test_one_worker_or_one_item_maps_in_this_process(workers):
    items = [0] if workers > 1 else [0, 1, 2]
    assert {pid for pid in fork_map(lambda _: os.getpid(), items, workers)} == {os.getpid()}


def test_no_fork_env_maps_in_this_process(monkeypatch):
    monkeypatch.setenv(forkpool.NO_FORK_ENV, "1")
    assert set(fork_map(lambda _: os.getpid(), [1, 2, 3], 2)) == {os.getpid()}


def test_a_worker_error_is_raised_in_the_parent():
    def fail_on_three(i: int) -> int:
        if i == 3:
            raise ValueError(f"bad item {i}")
        return i

    with pytest.raises(ValueError, match="bad item 3"):
        fork_map(fail_on_three, list(range(6)), 2)
    assert forkpool._JOB is None  # a later map starts clean


def test_the_parent_works_while_the_workers_map():
    with forked_map(lambda i: i + 1, [1, 2, 3], 2) as results:
        meanwhile = sum(range(10))
        assert results() == [2, 3, 4]
    assert meanwhile == 45


def test_forked_workers_end_when_their_parent_is_killed(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    import psutil

    script = tmp_path / "stage.py"
    script.write_text(
        "import time\n"
        "from pipeline.forkpool import fork_map\n"
        "fork_map(lambda x: time.sleep(600), list(range(4)), 2, what='sleepers')\n"
    )
    stage = subprocess.Popen([sys.executable, str(script)])
    try:
        deadline, workers = time.time() + 60, []
        while time.time() < deadline and len(workers) < 2:
            time.sleep(0.3)
            workers = [c for c in psutil.Process(stage.pid).children() if c.pid != stage.pid]
        assert len(workers) >= 2, "the workers did not start"
    finally:
        stage.send_signal(signal.SIGKILL)
        stage.wait()
    gone, alive = psutil.wait_procs(workers, timeout=15)
    for p in alive:
        p.kill()
    assert not alive, f"{len(alive)} worker(s) outlived their killed parent"
