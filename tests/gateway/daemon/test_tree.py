"""The service tree: built from config in start order; reload swaps accounts,
numbers and routes in place and reports what needs a restart."""
from __future__ import annotations

from dataclasses import fields

import pytest
from twisted.internet.testing import MemoryReactorClock

from gateway.config import model as config
from gateway.messages.numbering import resolve
from gateway.daemon.parts import Parts
from gateway.daemon.root import build

BASE = """
[store]
url = "sqlite:///{db}"
[[accounts]]
sid = "AC1"
auth_token = "one"
[[numbers]]
number = "+15005550006"
account = "AC1"
[[carriers]]
name = "a"
host = "127.0.0.1"
port = 9
system_id = "s"
routes = ["+1"]
window = 10
[[carriers]]
name = "b"
host = "127.0.0.1"
port = 9
system_id = "s"
routes = ["+44"]
"""


MM7_CARRIER = """
[[carriers]]
name = "m"
protocol = "mm7"
url = "http://127.0.0.1:9/mm7"
vasp_id = "v"
vas_id = "v"
service_code = "1"
routes = ["+1"]
"""


@pytest.mark.parametrize("url, on_pg", [("sqlite:///{db}", False),
                                        ("postgresql+psycopg://u@127.0.0.1:1/none", True)])
def test_every_child_in_dependency_order(tmp_path, url, on_pg):
    """The whole start order, every optional part present: a store on
    PostgreSQL adds the cluster's services (building connects to nothing)."""
    text = BASE.replace('url = "sqlite:///{db}"', f'url = "{url}"\nretention_days = 30')
    tree = build(config.loads(text.format(db=tmp_path / "x.db") + MM7_CARRIER), MemoryReactorClock(),
                 environ={})
    expected = (["store", "monitor", "cluster", "api", "console-snapshot", "carrier:a", "carrier:b",
                 "mm7-report-sweeps"] + ["bind-slots"] * on_pg + ["pipeline"] + ["queue-listener"] * on_pg
                + ["callbacks"] + ["roles", "cluster-outbox-heads"] * on_pg + ["receipt-sweeps"]
                + ["cluster-receipts"] * on_pg + ["receipt-query", "held-receipts"]
                + ["message-counts-fold"] * on_pg + ["retention", "sd-watchdog"])
    assert [child.name for child in tree] == expected
    optional = set() if on_pg else {"bind_slots", "queue_listener", "roles"}
    assert {f.name for f in fields(Parts) if getattr(tree.parts, f.name) is None} == optional


def test_the_watchdog_pings_through_the_daemons_notifier(tmp_path):
    from gateway.daemon.sdnotify import Notifier, WatchdogService

    notifier = Notifier({})
    tree = build(config.loads(BASE.format(db=tmp_path / "x.db")), MemoryReactorClock(), notifier=notifier)
    watchdog = [child for child in tree if isinstance(child, WatchdogService)]
    assert tree.parts.notifier is notifier and [w.notifier for w in watchdog] == [notifier]


def test_reload_swaps_routes_accounts_numbers_and_warns(tmp_path):
    tree = build(config.loads(BASE.format(db=tmp_path / "x.db")), MemoryReactorClock(), environ={})
    dispatcher, api, deliver = tree.parts.dispatcher, tree.parts.api, tree.parts.deliver
    assert dispatcher.router.primary("sms", "+447700900123") == "b"
    new = BASE.format(db=tmp_path / "x.db").replace('routes = ["+44"]', 'routes = ["+44", "+1212"]')
    new = new.replace("window = 10", "window = 20").replace('number = "+15005550006"', 'number = "+15005550007"')
    new += '[[accounts]]\nsid = "AC2"\nauth_token = "two"\n'
    warnings = tree.reload(config.loads(new))
    assert warnings == ["carrier 'a' connection settings changed: needs a restart"]
    assert dispatcher.router.primary("sms", "+12125551234") == "b"
    assert api.accounts.check("AC2", "two") and api.accounts.check("AC1", "one")
    assert deliver.numbers("+15005550007") is not None and deliver.numbers("+15005550006") is None
    # Digits without '+' resolve against the new numbers and routes, in the
    # API and in RCML replies alike.
    assert resolve("12125551234", "To", "sms", api.number_plan) == "+12125551234"
    assert api.number_plan.numbers == {"+15005550007"}
    assert tree.parts.callbacks.reply_hook.keywords["plan"] is api.number_plan
    # The carrier still runs with window 10: a second reload says so again,
    # and a file back at the running settings has nothing to report.
    assert tree.reload(config.loads(new)) == warnings
    assert tree.reload(config.loads(BASE.format(db=tmp_path / "x.db"))) == []


def test_reload_gives_the_mm7_hooks_the_new_numbers(tmp_path):
    text = BASE.format(db=tmp_path / "x.db") + MM7_CARRIER
    tree = build(config.loads(text), MemoryReactorClock(), environ={})
    hooks = tree.parts.mm7_hooks
    assert hooks.numbers("+15005550006") is not None
    tree.reload(config.loads(text.replace('number = "+15005550006"', 'number = "+15005550007"')))
    assert hooks.numbers("+15005550007") is not None and hooks.numbers("+15005550006") is None
    assert hooks.numbers is tree.parts.deliver.numbers


def test_reload_reports_sections_that_need_a_restart(tmp_path):
    text = BASE.format(db=tmp_path / "x.db")
    tree = build(config.loads(text), MemoryReactorClock(), environ={})
    changed = text.replace("[store]", '[api]\nlisten = "127.0.0.1:9999"\n[callbacks]\ntimeout = 3\n'
                                      '[log]\nlevel = "debug"\n[store]')
    assert tree.reload(config.loads(changed)) == ["[api] changed: needs a restart",
                                                  "[callbacks] changed: needs a restart",
                                                  "[log] level changed: needs a restart"]


def test_reload_applies_default_country_code(tmp_path):
    from gateway.messages.errors import ApiError

    text = BASE.format(db=tmp_path / "x.db")
    tree = build(config.loads(text), MemoryReactorClock(), environ={})
    api = tree.parts.api
    with pytest.raises(ApiError):  # no national form without a country code
        resolve("07700900123", "To", "sms", api.number_plan)
    national = text.replace("[store]", '[api]\ndefault_country_code = "44"\n[store]')
    assert tree.reload(config.loads(national)) == []  # applied: no restart needed
    assert resolve("07700900123", "To", "sms", api.number_plan) == "+447700900123"


def test_site_caps_request_bodies_while_they_arrive(tmp_path):
    from gateway.api.requests import CappedRequest
    from gateway.mms.endpoint import MAX_BODY

    text = BASE.format(db=tmp_path / "x.db")
    site = build(config.loads(text), MemoryReactorClock(), environ={}).parts.listen.factory
    assert issubclass(site.requestFactory, CappedRequest)
    assert site.requestFactory.max_body == 64 * 1024  # [api] max_body_bytes
    assert not site.access_log  # no line per request in the journal
    # An MMSC posts MM7 deliveries (media inside) to the same site.
    mm7 = ('[[carriers]]\nname = "m"\nprotocol = "mm7"\nurl = "http://127.0.0.1:9/mm7"\n'
           'vasp_id = "v"\nvas_id = "v"\nservice_code = "1"\nroutes = ["+1"]\n')
    site = build(config.loads(text + mm7), MemoryReactorClock(), environ={}).parts.listen.factory
    assert site.requestFactory.max_body == MAX_BODY


class _Step:
    """A tree child whose start finishes when the test says so."""

    def __init__(self, name, events):
        from twisted.application.service import Service
        from twisted.internet.defer import Deferred

        outer = self

        class Child(Service):
            def startService(self):
                super().startService()
                events.append(f"start {name}")
                outer.started = Deferred()
                return outer.started

            def stopService(self):
                super().stopService()
                events.append(f"stop {name}")

        self.service = Child()
        self.service.setName(name)


def test_stop_during_start_waits_for_the_starting_child_and_starts_no_more():
    from twisted.internet.defer import Deferred

    from gateway.daemon.tree import GatewayService, StartAborted

    events: list[str] = []
    tree = GatewayService(config.Config())
    steps = [_Step(name, events) for name in ("store", "api", "pipeline")]
    for step in steps:
        step.service.setServiceParent(tree)
    started = Deferred.fromCoroutine(tree.start())
    steps[0].started.callback(None)  # the store is up; the API is starting
    stopped = Deferred.fromCoroutine(tree.stop())
    assert events == ["start store", "start api"] and not stopped.called  # the API's start is under way
    steps[1].started.callback(None)
    assert events == ["start store", "start api", "stop api", "stop store"]
    assert stopped.called and not steps[2].service.running
    failures = []
    started.addErrback(failures.append)
    assert failures and failures[0].check(StartAborted)


def test_stop_before_start_starts_nothing():
    from twisted.internet.defer import Deferred

    from gateway.daemon.tree import GatewayService, StartAborted

    events: list[str] = []
    tree = GatewayService(config.Config())
    _Step("store", events).service.setServiceParent(tree)
    Deferred.fromCoroutine(tree.stop())
    failures = []
    Deferred.fromCoroutine(tree.start()).addErrback(failures.append)
    assert events == [] and failures[0].check(StartAborted)
