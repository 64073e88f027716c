"""The load bench's CPU meter (bench/load/cpu.py): a process tree's CPU as the kernel counts it.

The child below reports its own ``os.times()`` (its CPU and that of the grandchild it waited for)
and a live grandchild reports its own; the meter, reading ``/proc``, must find the sum. No timing
threshold: both sides are the kernel's tick counts, read two ways.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from bench.load.cpu import CpuSample, postmaster_of, tree_seconds

TICK = 1 / os.sysconf("SC_CLK_TCK")

CHILD = r"""
import os, subprocess, sys, time

def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass

burn(0.2)
# A grandchild that burns and exits: waited for, so its time moves into this process's cutime.
subprocess.run([sys.executable, "-c", "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"], check=True)
# A grandchild that burns, reports its own CPU, and stays alive.
live = subprocess.Popen(
    [sys.executable, "-c", "import os, sys, time\nend = time.process_time() + 0.2\nwhile time.process_time() < end: pass\n"
     "t = os.times()\nprint(t.user + t.system, flush=True)\nsys.stdin.read()"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
)
live_cpu = float(live.stdout.readline())
t = os.times()
print(t.user + t.system + t.children_user + t.children_system + live_cpu, flush=True)
sys.stdin.read()
live.stdin.close()
live.wait()
"""


def test_a_process_trees_cpu_counts_reaped_and_live_descendants():
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        reported = float(child.stdout.readline())
        measured = tree_seconds(child.pid)
    finally:
        child.stdin.close()
        child.wait(timeout=30)
    # The child's 0.2 s, the reaped grandchild's 0.3 s and the live one's 0.2 s, each as the kernel counts
    # it in whole ticks: each process's figure may fall up to a tick short of what it burned.
    assert reported >= 0.7 - 3 * TICK
    assert measured is not None
    # Each process's figure is rounded to the tick on both sides; the live grandchild's own report and the
    # meter's read are a few ticks apart (it prints, then sleeps).
    assert abs(measured - reported) <= 5 * TICK


def test_a_process_that_is_gone_has_no_cpu():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert tree_seconds(gone.pid) is None


def test_a_sample_without_pids_still_counts_the_generator():
    start = CpuSample.now(None, None)
    sum(i * i for i in range(200_000))
    spent = CpuSample.now(None, None).since(start)
    assert spent["server"] is None and spent["database"] is None
    assert spent["generator"] is not None and spent["generator"] >= 0


@pytest.mark.django_db
def test_the_postmaster_is_found_for_a_local_postgresql_and_not_for_sqlite():
    assert postmaster_of("sqlite:///tmp/none.sqlite3") is None
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL half runs in the PostgreSQL tier")
    db = connection.settings_dict
    pid = postmaster_of(f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}")
    assert pid is not None
    assert Path(f"/proc/{pid}/comm").read_text().strip() == "postgres"
