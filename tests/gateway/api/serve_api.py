"""A Messages API process for the kill -9 test: ``python serve_api.py DB``
prints its port, then serves until killed."""
import sys

from twisted.internet import reactor

from gateway.api.accounts import Accounts
from gateway.api.app import MessagesApi
from gateway.api.requests import make_site
from gateway.store.store import Store

ACCOUNT = "AC" + "a" * 32
TOKEN = "token-a"


def main(db: str) -> None:
    store = Store(f"sqlite:///{db}", reactor)

    def serve(_):
        api = MessagesApi(store, Accounts([(ACCOUNT, TOKEN)]), clock=reactor)
        port = reactor.listenTCP(0, make_site(api.resource()), interface="127.0.0.1")
        print(port.getHost().port, flush=True)

    store.start().addCallback(serve)
    reactor.run()


if __name__ == "__main__":
    main(sys.argv[1])
