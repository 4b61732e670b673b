"""``make reconcile``: does search's read model agree with the catalogue? Both are read over RPC,
page by page in course-id order (no service's tables are read from outside), and compared:

- a published course that search lacks, or holds at an older version, or holds unpublished;
- a course search holds as published that the catalogue has withdrawn (or does not know).

A newer version in search than in the catalogue cannot happen (search only applies the
catalogue's events) and is reported too. Prints each difference and a summary; exits 1 when
there is any (a ``make reindex`` repairs the read model), 0 when they agree.
"""
from __future__ import annotations

import os
import sys
from typing import Callable, Iterator

PAGE = 1000


def pages(fetch: Callable[[str | None, int], list[dict]]) -> Iterator[dict]:
    after = None
    while True:
        page = fetch(after, PAGE)
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1]["course_id"]


def differences(catalogue: Iterator[dict], search: Iterator[dict]) -> Iterator[str]:
    """Both streams sorted by ``course_id``: catalogue rows ``{course_id, version, status}``,
    search rows ``{course_id, version, published}``."""
    ours, theirs = next(catalogue, None), next(search, None)
    while ours is not None or theirs is not None:
        if theirs is None or (ours is not None and ours["course_id"] < theirs["course_id"]):
            if ours["status"] == "published":
                yield f"missing in search: {ours['course_id']} (published, version {ours['version']})"
            ours = next(catalogue, None)
        elif ours is None or theirs["course_id"] < ours["course_id"]:
            if theirs["published"]:
                yield f"unknown to the catalogue, published in search: {theirs['course_id']}"
            theirs = next(search, None)
        else:
            yield from _compare(ours, theirs)
            ours, theirs = next(catalogue, None), next(search, None)


def _compare(ours: dict, theirs: dict) -> Iterator[str]:
    cid, published = ours["course_id"], ours["status"] == "published"
    if theirs["version"] > ours["version"]:
        yield f"newer in search than in the catalogue: {cid} (search {theirs['version']}, catalogue {ours['version']})"
    elif published and theirs["version"] < ours["version"]:
        yield f"stale in search: {cid} (search version {theirs['version']}, catalogue {ours['version']})"
    elif published and not theirs["published"]:
        yield f"hidden in search but published: {cid} (version {ours['version']})"
    elif not published and theirs["published"]:
        yield f"published in search but {ours['status']} in the catalogue: {cid} (version {ours['version']})"


def main() -> int:
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.contracts.catalogue import CatalogueClient
    from services.contracts.search import SearchClient

    with ClusterRpcProxy({"AMQP_URI": os.environ["AMQP_URI"]}, timeout=60) as rpc:
        catalogue = pages(CatalogueClient(rpc.catalogue).course_versions)
        search = pages(SearchClient(rpc.search).document_versions)
        found = 0
        for line in differences(catalogue, search):
            found += 1
            if found <= 200:
                print(line)
    print(f"{found} differences between the catalogue and search" if found
          else "the catalogue and search agree: no differences")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
