"""SMPP 3.4 on Twisted: the carrier client, the SMSC simulator and the load tester.

Nothing is imported here (so ``gateway.smpp.errors`` stays cheap); the
public pieces are:

* ``gateway.smpp.carrier.SmppCarrier(name, settings, clock, endpoint_factory,
  deliver_handler=None)``: a MultiService of N binds; ``submit(submit_sm) ->
  Deferred[SubmitSmResp]`` (fails with ``errors.SubmitFailed`` 30090/30001/
  30008, or ``errors.NotSent`` once stopping); ``bound_count``, ``is_up``,
  ``queued``, ``stats``; ``stopService()`` drains, unbinds and closes.
* ``gateway.smpp.endpoints.endpoint_factory(reactor)``: TCP or verified TLS.
* ``gateway.smpp.settings.BindSettings`` / ``coerce``: the bind knobs (the
  daemon's ``SmppSettings`` is accepted as is).
* ``gateway.smpp.esme.EsmeProtocol``: one connection, no Deferred per request.
* ``gateway.smpp.simulator.smsc.SmscSimulator(config, clock)``: ``listen``,
  ``inject_mo``, ``stats``, ``stop``; configs from
  ``gateway.smpp.simulator.behaviours.behaviour(name).config(**changes)``.
* ``gateway.smpp.bench.BenchRunner``: what ``carrier-gateway bench`` runs.
"""
