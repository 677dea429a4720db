"""Collector settings for a run: set on entry, restored once on the last exit."""

from __future__ import annotations

import gc

from runner.heap import RUN_THRESHOLD0, for_process, run_gc


def test_run_gc_freezes_and_raises_the_young_threshold_then_restores() -> None:
    """Inside: the heap so far frozen, young threshold raised; after: as before."""
    before = gc.get_threshold()
    kept = [object() for _ in range(10)]  # something that exists before the run
    with run_gc():
        assert gc.get_threshold()[0] == max(RUN_THRESHOLD0, before[0])
        assert gc.get_threshold()[1:] == before[1:]
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    assert kept


def test_nested_runs_restore_once_on_the_last_exit() -> None:
    """An inner run leaving does not undo the outer run's settings."""
    before = gc.get_threshold()
    with run_gc():
        with run_gc():
            pass
        assert gc.get_threshold()[0] == max(RUN_THRESHOLD0, before[0])
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before


def test_settings_are_restored_when_the_run_fails() -> None:
    """An exception inside the run still puts the collector back."""
    before = gc.get_threshold()
    try:
        with run_gc():
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_cycles_made_during_a_run_are_still_collected() -> None:
    """Raising the threshold delays cycle collection, never turns it off."""
    with run_gc():

        class Node:
            ref: object = None

        a, b = Node(), Node()
        a.ref, b.ref = b, a
        del a, b
        assert gc.collect() >= 2


def test_the_process_runs_with_the_young_threshold_of_a_run() -> None:
    """`for_process` (the console script's entry) raises the young threshold only."""
    before = gc.get_threshold()
    try:
        for_process()
        assert gc.get_threshold() == (max(RUN_THRESHOLD0, before[0]), *before[1:])
    finally:
        gc.set_threshold(*before)
