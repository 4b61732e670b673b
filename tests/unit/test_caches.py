"""The search caches (services/search/caches.py): an answer only under its generation."""
from __future__ import annotations


def test_an_answer_is_served_only_under_the_generation_it_was_computed_at():
    from services.search.caches import KeptPerGeneration

    answers = KeptPerGeneration(2)
    answers.put("heftruck", 7, {"total": 3})
    assert answers.get("heftruck", 7) == {"total": 3}
    assert answers.get("heftruck", 8) is None             # the read model changed since
    answers.put("heftruck", 9, {"total": 4})
    answers.put("heftruck", 8, {"total": 99})             # a slower search that started earlier
    assert answers.get("heftruck", 9) == {"total": 4}
    answers.put("lassen", 9, {"total": 1})
    answers.put("vca", 9, {"total": 2})                   # over the limit: the least recently used goes
    assert answers.get("heftruck", 9) is None and answers.get("vca", 9) == {"total": 2}
    none_kept = KeptPerGeneration(0)
    none_kept.put("heftruck", 1, {"total": 3})
    assert none_kept.get("heftruck", 1) is None
