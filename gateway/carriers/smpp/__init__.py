"""SMPP 3.4 on Twisted: the carrier client, the SMSC simulator and the load tester.

Nothing is imported here (so ``gateway.carriers.smpp.errors`` stays cheap); the
public pieces are:

* ``gateway.carriers.smpp.carrier.SmppCarrier(name, settings, clock, endpoint_factory,
  deliver_handler=None)``: a MultiService of N binds; ``submit(submit_sm) ->
  Deferred[SubmitSmResp]`` (fails with ``errors.SubmitFailed`` 30090/30001/
  30008, or ``errors.NotSent`` once stopping); ``bound_count``, ``is_up``,
  ``queued``, ``stats``; ``stopService()`` drains, unbinds and closes.
* ``gateway.carriers.smpp.interface.Carrier``: what a sender needs of a carrier
  (``is_up``, ``submit``), a ``typing.Protocol``; the fake tests use,
  ``gateway.carriers.smpp.testing.ScriptedCarrier``, is checked against it.
* ``gateway.carriers.smpp.endpoints.endpoint_factory(reactor)``: TCP or verified TLS.
* ``gateway.carriers.smpp.settings.BindSettings`` / ``coerce``: the bind knobs (the
  daemon's ``SmppSettings`` is accepted as is).
* ``gateway.carriers.smpp.esme.EsmeProtocol``: one connection, no Deferred per request.
* ``gateway.simulators.smsc.testing.MemNet``: the simulator and a carrier on one
  memory reactor, connected in memory and pumped by hand (for tests).
* ``gateway.simulators.smsc.smsc.SmscSimulator(config, clock)``: ``listen``,
  ``inject_mo``, ``stats``, ``stop``; configs from
  ``gateway.simulators.smsc.behaviours.behaviour(name).config(**changes)``.
* ``gateway.simulators.bench.load.BenchRunner``: what ``carrier-gateway bench`` runs.
"""
