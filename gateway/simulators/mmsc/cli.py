"""``carrier-gateway simulate mmsc``: the MMSC simulator on a TCP port."""
from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8007, help="TCP port to listen on (default 8007)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--report-url", help="gateway MM7 endpoint for DeliveryReportReq, "
                        "e.g. http://127.0.0.1:8080/mm7/mmsc-a")
    parser.add_argument("--deliver-url", help="gateway MM7 endpoint for DeliverReq (default: --report-url)")
    parser.add_argument("--report-delay", type=float, default=1.0, help="seconds before the delivery report")
    parser.add_argument("--status-mix", default="Retrieved",
                        help='MMStatus weights, e.g. "Retrieved=90,Expired=4,Rejected=3,Unrecognised=3"')
    parser.add_argument("--fault-rate", type=float, default=0.0, help="fraction of SubmitReq answered with a fault")
    parser.add_argument("--fault-code", type=int, default=3001, help="MM7 status of injected faults")
    parser.add_argument("--slow", type=float, default=0.0, help="seconds to wait before each SubmitRsp")
    parser.add_argument("--max-size", type=int, help="reject MMs with more content bytes (2004, size)")
    parser.add_argument("--no-validate", action="store_true", help="skip the schema check of SubmitReq")
    parser.add_argument("--username", default="", help="require Basic auth with this user")
    parser.add_argument("--password", default="", help="... and this password")
    parser.add_argument("--gateway-username", default="",
                        help="Basic auth user sent to the gateway's MM7 endpoint (its inbound_username)")
    parser.add_argument("--gateway-password", default="", help="... and password")
    parser.add_argument("--mm7-version", default="6.8.0", choices=("5.3.0", "6.8.0"))
    parser.add_argument("--seed", type=int, help="random seed (reproducible status mix and faults)")


def config_from(args: argparse.Namespace):
    from gateway.simulators.mmsc.config import MmscConfig, parse_mix

    return MmscConfig(
        report_url=args.report_url, deliver_url=args.deliver_url, report_delay=args.report_delay,
        status_mix=parse_mix(args.status_mix), fault_rate=args.fault_rate, fault_code=args.fault_code,
        slow=args.slow, max_size=args.max_size, validate=not args.no_validate,
        username=args.username, password=args.password, gateway_username=args.gateway_username,
        gateway_password=args.gateway_password, version=args.mm7_version, seed=args.seed)


def run(args: argparse.Namespace) -> int:
    try:
        config = config_from(args)
    except ValueError as exc:
        print(f"simulate mmsc: {exc}", file=sys.stderr)
        return 2
    import treq.client
    from twisted.internet import reactor
    from twisted.logger import globalLogBeginner, textFileLogObserver
    from twisted.web.client import Agent

    from gateway.simulators.mmsc.server import MmscSimulator

    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stdout)])
    sim = MmscSimulator(reactor, treq.client.HTTPClient(Agent(reactor)), config)

    def started(port):
        host = port.getHost()
        print(f"MMSC simulator listening on http://{host.host}:{host.port}/mm7 "
              f"(inbound MMS: curl -X POST 'http://{host.host}:{host.port}/control/deliver"
              f"?from=%2B15551230000&to=%2B15557650000&text=hi&image=1')", flush=True)

    def failed(failure):
        print(f"simulate mmsc: cannot listen on {args.host}:{args.port}: {failure.value}", file=sys.stderr)
        reactor.stop()

    sim.listen(reactor, args.port, args.host).addCallbacks(started, failed)
    reactor.addSystemEventTrigger("before", "shutdown", sim.stop)
    reactor.run()
    return 0
