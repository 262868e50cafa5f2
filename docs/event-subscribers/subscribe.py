#!/usr/bin/env python3
"""Follow a Gantry cluster's event log on NATS JetStream, with Python's standard library only.

    subscribe.py [--nats nats://127.0.0.1:4222] [--cluster gantry] [--subject 'events.>']
                 [--after SEQUENCE] [--count N]

Says "following <stream> (<subject>)" on stderr once its consumer exists (events from then on are
all delivered), then prints one JSON object per line and per event, in commit order:
    {"sequence": 42, "subject": "gantry.events.app.AppCreated", "type": "AppCreated",
     "streamId": "app-/web", "streamVersion": 1, "globalPosition": "42", "data": {...}}

It creates an ephemeral push consumer on the cluster's events stream (`<CLUSTER>_EVENTS`) that
delivers from the next event (or from just after --after, a stream sequence printed earlier) and
needs no acks; the server removes it once this process is gone. Speaks the NATS text protocol
directly (CONNECT, SUB, PUB, HMSG, PING/PONG) so that it runs anywhere Python 3 does; a real
subscriber would use a NATS client library (nats-py) the same way.
"""
import argparse
import json
import socket
import sys
import uuid
from urllib.parse import urlparse


def main() -> int:
    parser = argparse.ArgumentParser(description="follow a Gantry cluster's event log on JetStream")
    parser.add_argument("--nats", default="nats://127.0.0.1:4222", help="NATS server URL")
    parser.add_argument("--cluster", default="gantry", help="cluster name (its subjects' prefix)")
    parser.add_argument("--subject", default="events.>", help="events to follow, after the cluster prefix, e.g. 'events.instance.>'")
    parser.add_argument("--after", type=int, help="resume after this stream sequence instead of starting at the next event")
    parser.add_argument("--count", type=int, default=0, help="stop after this many events (0: never)")
    args = parser.parse_args()

    url = urlparse(args.nats)
    sock = socket.create_connection((url.hostname or "127.0.0.1", url.port or 4222), timeout=60)
    reader = sock.makefile("rb")
    if not reader.readline().startswith(b"INFO "):
        raise SystemExit("not a NATS server")
    connect = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True, "lang": "python", "version": "gantry-example"}
    sock.sendall(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
    while (line := reader.readline().strip()) != b"PONG":
        if line.startswith(b"-ERR"):
            raise SystemExit(line.decode())

    inbox = "_INBOX." + uuid.uuid4().hex
    deliver, api_reply = inbox + ".events", inbox + ".api"
    sock.sendall(f"SUB {deliver} 1\r\nSUB {api_reply} 2\r\n".encode())
    stream = args.cluster.upper().replace("-", "_") + "_EVENTS"
    config = {"deliver_subject": deliver, "ack_policy": "none", "filter_subject": f"{args.cluster}.{args.subject}"}
    if args.after is None:
        config["deliver_policy"] = "new"
    else:
        config.update(deliver_policy="by_start_sequence", opt_start_seq=args.after + 1)
    request = json.dumps({"stream_name": stream, "config": config}).encode()
    sock.sendall(f"PUB $JS.API.CONSUMER.CREATE.{stream} {api_reply} {len(request)}\r\n".encode() + request + b"\r\n")
    sock.settimeout(None)  # a quiet cluster may send nothing for a long while

    following = False

    def say_following() -> None:
        # On stderr (stdout holds only events): from here on, no event is missed.
        nonlocal following
        if not following:
            following = True
            print(f"following {stream} ({config['filter_subject']})", file=sys.stderr, flush=True)

    seen = 0
    while True:
        line = reader.readline()
        if not line:
            return 1
        words = line.split()
        if not words:
            continue
        op = words[0]
        if op == b"PING":
            sock.sendall(b"PONG\r\n")
        elif op == b"-ERR":
            raise SystemExit(line.decode().strip())
        elif op in (b"MSG", b"HMSG"):
            # MSG <subject> <sid> [reply] <size> | HMSG <subject> <sid> [reply] <header size> <total size>
            headers = op == b"HMSG"
            total = int(words[-1])
            header_size = int(words[-2]) if headers else 0
            has_reply = len(words) == (6 if headers else 5)
            reply = words[3].decode() if has_reply else ""
            body = reader.read(total + 2)[header_size:total]
            if words[2] == b"2":  # the consumer's creation answer
                answer = json.loads(body)
                if "error" in answer:
                    raise SystemExit(f"cannot follow {stream}: {answer['error'].get('description')}")
                say_following()
                continue
            if not reply.startswith("$JS.ACK."):
                continue  # a status message (heartbeat, flow control): none are asked for here
            tokens = reply.split(".")
            # $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>,
            # or with <domain>.<account hash> after ACK on newer servers.
            sequence = int(tokens[5] if len(tokens) == 9 else tokens[7])
            event = json.loads(body)
            # Resuming from a sequence, the server may deliver before it answers the creation: the consumer exists.
            say_following()
            print(json.dumps({
                "sequence": sequence,
                "subject": words[1].decode(),
                "type": event["type"],
                "streamId": event["streamId"],
                "streamVersion": event["streamVersion"],
                "globalPosition": event["globalPosition"],
                "data": event["data"],
            }), flush=True)
            seen += 1
            if args.count and seen >= args.count:
                return 0


if __name__ == "__main__":
    sys.exit(main())
