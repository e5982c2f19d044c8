"""The durable store: schema, engines, migrations, the writer thread.

``Store`` (``gateway.store.store``) is the Twisted face; query and lifecycle
functions take a SQLAlchemy ``Connection`` and live in ``messages``,
``queue``, ``outbox`` and ``queries``.
"""


def __getattr__(name: str):
    # ``from gateway.store import Store`` without importing Twisted for those
    # who only need the schema.
    if name in ("Store", "StoreClosed"):
        from . import store
        return getattr(store, name)
    raise AttributeError(name)
