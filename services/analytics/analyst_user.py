"""A RabbitMQ user for an analyst who reads the event stream with their own AMQP client:
``python -m services.analytics.analyst_user NAME`` (``make analyst-user NAME=x``) creates user
``analyst-NAME`` that may read every ``<service>.events`` exchange and declare, bind and read only
queues named ``analyst.NAME.*``, and may publish nowhere; it prints the ``amqp://`` URI with a new
password. ``--delete`` removes the user. Uses RabbitMQ's management API (``RABBIT_API_URI``)."""
from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from services.contracts.registry import EVENT_TYPES


def permissions(name: str) -> dict:
    """configure and write only the analyst's own queues (to declare and bind them: a bind needs
    write on the queue, read on the exchange); read only the documented ``<service>.events``
    exchanges and those queues. In RabbitMQ read on an exchange lets one bind a queue to it and
    read on a queue lets one get, consume and purge it: ``.*`` opened the RPC exchange (API keys,
    tokens, people's contact details in replies) and every service's queues."""
    own = rf"analyst\.{re.escape(name)}\..*"
    exchanges = "|".join(re.escape(e) for e in event_exchanges())
    return {"configure": f"^{own}$", "write": f"^{own}$", "read": f"^({exchanges}|{own})$"}


def event_exchanges() -> list[str]:
    """The exchanges the event stream runs on, as the AsyncAPI document declares them."""
    return sorted({f"{cls.source}.events" for cls in EVENT_TYPES.values()})


def create(api_uri: str, amqp_uri: str, name: str) -> str:
    api, auth, vhost = _api(api_uri, amqp_uri)
    user, password = f"analyst-{name}", secrets.token_urlsafe(18)
    answer = requests.put(f"{api}/users/{quote(user, safe='')}", auth=auth, timeout=10,
                          json={"password": password, "tags": ""})
    answer.raise_for_status()
    answer = requests.put(f"{api}/permissions/{quote(vhost, safe='')}/{quote(user, safe='')}", auth=auth, timeout=10,
                          json=permissions(name))
    answer.raise_for_status()
    credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
    # a cluster's nodes (URIs separated by ';') each get the analyst's credentials
    return ";".join(urlunsplit((parts.scheme, f"{credentials}@{parts.hostname}:{parts.port or 5672}", parts.path or "/", "", ""))
                    for parts in map(urlsplit, amqp_uri.split(";")))


def delete(api_uri: str, amqp_uri: str, name: str) -> bool:
    api, auth, _ = _api(api_uri, amqp_uri)
    return requests.delete(f"{api}/users/{quote(f'analyst-{name}', safe='')}", auth=auth, timeout=10).status_code == 204


def _api(api_uri: str, amqp_uri: str):
    parts = urlsplit(api_uri)
    path = urlsplit(amqp_uri.split(";")[0]).path
    vhost = path[1:] if len(path) > 1 else "/"
    return f"{parts.scheme}://{parts.hostname}:{parts.port}/api", (parts.username or "guest", parts.password or "guest"), vhost


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the analyst's name: letters, digits and hyphens")
    parser.add_argument("--delete", action="store_true", help="remove the user instead")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,40}", args.name):
        print("NAME: lower-case letters, digits and hyphens, at most 41", file=sys.stderr)
        return 2
    api_uri, amqp_uri = os.environ["RABBIT_API_URI"], os.environ["AMQP_URI"]
    if args.delete:
        print("removed" if delete(api_uri, amqp_uri, args.name) else "no such user")
        return 0
    print(create(api_uri, amqp_uri, args.name))
    print(f"# queues you may declare and bind: analyst.{args.name}.<anything>; publishing is refused",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
