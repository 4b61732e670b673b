"""``python -m services.search.reindex`` (``make reindex``): rebuild the search read model from
the catalogue through the running search service."""
import os
import sys

from nameko.standalone.rpc import ClusterRpcProxy

from services.contracts.search import SearchClient


def main() -> int:
    with ClusterRpcProxy({"AMQP_URI": os.environ["AMQP_URI"]}, timeout=3600) as rpc:
        report = SearchClient(rpc.search).reindex()
    print(f"reindexed: {report['published']} published courses, {report['unpublished']} documents hidden")
    return 0


if __name__ == "__main__":
    sys.exit(main())
