"""The durable store: schema, engines, migrations, the writer thread.

``Store`` (``gateway.store.store``) is the Twisted face; query and lifecycle
functions take a SQLAlchemy ``Connection`` and live with their capability
(``gateway.messages.store``, ``gateway.dispatch.store`` and the like).
"""
