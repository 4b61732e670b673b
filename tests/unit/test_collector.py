"""The services' garbage-collector settings (services/chassis/collector.py)."""
from __future__ import annotations

import gc

from services.chassis import collector


class Node:
    pass


def test_settle_takes_what_exists_out_of_later_collections_and_tune_keeps_the_older_thresholds():
    kept = Node()
    kept.me = kept                        # a cycle: only the collector could ever free it
    thresholds = gc.get_threshold()
    try:
        collector.tune()
        assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, *thresholds[1:])
        collector.settle()
        assert not any(o is kept for o in gc.get_objects())      # no collection walks it again
        later = Node()
        later.me = later
        assert any(o is later for o in gc.get_objects())         # what comes after is collected as before
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
