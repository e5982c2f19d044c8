"""``carrier-gateway messages show SID --config FILE [--json]``: one message's
full history read from the store, as the console's search shows it (status
events, each part with its SMSC id and receipt stat/err, the callbacks and
their answers).  For use over SSH.  Exit 0 when found, 1 when no such
message, 2 when the config or the store cannot be read.
"""
from __future__ import annotations

import argparse
import json
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="messages_command", metavar="ACTION")
    sub.required = True
    show = sub.add_parser("show", help="print one message's full history",
                          description="print one message's full history")
    show.add_argument("sid", help="the message sid (SM... or MM...)")
    show.add_argument("--config", metavar="FILE", required=True, help="the daemon's config ([store] url)")
    show.add_argument("--json", action="store_true", help="print the history as JSON")


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from gateway.config.model import ConfigError, load
    from gateway.console.queries import history
    from gateway.store.engine import make_engine

    try:
        url = load(args.config).store.url
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                found = history(conn, args.sid)
        finally:
            engine.dispose()
    except ConfigError as error:
        print(f"messages: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"messages: cannot read the store: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 2
    if found is None:
        print(f"messages: no message {args.sid}", file=sys.stderr)
        return 1
    sys.stdout.write(json.dumps(found, indent=2, sort_keys=True, default=str) + "\n" if args.json
                     else render(found))
    return 0


def render(m: dict) -> str:
    out = [f"{m['sid']}  {m['status']}  {m['direction']} {m['channel']}  {m['from_']} -> {m['to']}",
           f"  account {m['account_sid']}  carrier {m['carrier'] or '-'}  segments {m['num_segments']}"
           f"  error {m['error_code'] or '-'} {m['error_message'] or ''}".rstrip(),
           f"  carrier stat/err {m['carrier_stat'] or '-'}/{m['carrier_err'] or '-'}"
           f"  created {m['date_created']}  sent {m['date_sent'] or '-'}",
           "status events:"]
    for e in m["events"]:
        out.append(f"  {e['created_at']}  {e['status']:<12} {e['error_code'] or ''} {e['detail'] or ''}".rstrip())
    out.append("parts:")
    for p in m["parts"]:
        out.append(f"  {p['seqno']}/{p['total']}  {p['carrier'] or '-'}/{p['bind'] or '-'}  smsc id "
                   f"{p['smsc_message_id'] or '-'}  {p['status'] or 'no receipt'}  stat "
                   f"{p['stat'] or '-'} err {p['err'] or '-'}  receipt at {p['receipt_at'] or '-'}")
    out.append("callbacks:")
    for c in m["callbacks"]:
        out.append(f"  #{c['id']} {c['kind']} {c['method']} {c['url']}  {c['state']} after {c['attempts']} "
                   f"attempts  answer {c['answer'] or '-'}")
    return "\n".join(out) + "\n"
