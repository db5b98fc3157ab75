#!/usr/bin/env python3
"""An HTTP/1.1 proxy on 127.0.0.1 that adds a fixed latency to every request it forwards to an
AWS emulator, and logs each request, for bench/critical_path.sh and bench/snapshot_vs_cli.sh.

    python3 bench/delay_proxy.py --upstream 127.0.0.1:5000 --delay-ms 100 \
        --port-file /tmp/proxy.port --log /tmp/requests.log [--answer-unimplemented]

Why HTTP-aware rather than a byte pump: the SDK keeps connections alive and sends request after
request on one; a network's round trip is paid per request, not per connection. So each request
is read whole (headers plus Content-Length or chunked body), held for --delay-ms, then sent to
the upstream, and its response is read whole and handed back. A connection carries one request
at a time, as HTTP/1.1 without pipelining does, so this is exactly one added round trip per
request. Connection set-up (TCP/TLS handshakes) is not delayed: the figure is per request.

--answer-unimplemented: moto 5.2 answers wafv2 ListResourcesForWebACL and GetSampledRequests
with HTTP 500 ("not implemented"). Clients retry a 500 with exponential backoff (the Rust SDK:
3 attempts, up to 1 s + 2 s of random sleep; the AWS CLI: 5 attempts in legacy mode), which
would measure the emulator's gap, not the client. With this flag the request is still forwarded
(moto's own time is kept) but a 500 to those two operations is replaced by an empty, AWS-shaped
200 answer, as AWS would give for an ACL without associations or samples.

--replay: every distinct request (operation, method, path and body, less the time window that
GetMetricData and GetSampledRequests carry and that moves with the clock) is forwarded once; a
repeat gets the stored answer at once. moto is slow and single-threaded (a DescribeInstances of
500 instances takes it seconds, a GetMetricData of 200 queries over this estate up to 7 s), so
with moto live its CPU, not the client's scheduling, sets the pace; a primed replay makes the
server's time ~0 and leaves the client's own chain of round trips × the added latency.

--keep-alive: keep the client's connection open where the upstream closes its own after each
answer (moto says `Connection: close` to every request): the answer goes back saying
keep-alive, and the next request opens a new upstream connection. The client then sees what
AWS's endpoints give it, one connection for many requests (bench/wall_estate.sh KEEPALIVE=1).

--delay-file: read the delay (ms) from this file before each request, so one proxy (and one
replay cache) serves several latencies.

Each request is one log line: `epoch_seconds connection operation status upstream_ms [answered] [replayed]`.
stdout stays quiet; the port chosen goes to --port-file (written once listening).
"""

import argparse
import asyncio
import json
import os
import re
import sys
import time

UNIMPLEMENTED = {
    "ListResourcesForWebACL": {"ResourceArns": []},
    "GetSampledRequests": {"SampledRequests": [], "PopulationSize": 0},
}


class Closed(Exception):
    pass


async def read_head(reader):
    """Start line and headers, or Closed at a clean end of stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if e.partial.strip():
            raise
        raise Closed() from None
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return head, lines[0], headers


async def read_body(reader, headers, until_close):
    """The body as framed by the headers: chunked, Content-Length, or (responses) until close."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raw = b""
        while True:
            size_line = await reader.readuntil(b"\r\n")
            raw += size_line
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                # Trailers, then the blank line.
                while True:
                    line = await reader.readuntil(b"\r\n")
                    raw += line
                    if line == b"\r\n":
                        return raw
            raw += await reader.readexactly(size + 2)
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    if until_close:
        return await reader.read()
    return b""


def operation(start_line, headers, body):
    """The AWS operation: JSON X-Amz-Target, query Action=, CBOR path, or REST method + path."""
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    m = re.search(rb"(?:^|&)Action=([A-Za-z0-9]+)", body)
    if m:
        return m.group(1).decode()
    method, path = (start_line.split(" ") + ["", ""])[:2]
    m = re.search(r"/operation/([A-Za-z0-9]+)", path)
    if m:
        return m.group(1)
    # Route53 REST: strip ids so runs compare (e.g. GET /2013-04-01/hostedzone/ID/rrset).
    path = path.split("?")[0]
    path = re.sub(r"/hostedzone/[^/]+", "/hostedzone/ID", path)
    return f"{method}:{path}"


# The time window of a request: it moves with the clock, so it is left out of the replay key.
VOLATILE = [re.compile(rb"&?(?:StartTime|EndTime)=[^&]*"),
            re.compile(rb'"TimeWindow"\s*:\s*\{[^}]*\}')]


def replay_key(op, start_line, body):
    for pattern in VOLATILE:
        body = pattern.sub(b"", body)
    return (op, start_line.rsplit(" ", 1)[0], body)


class Proxy:
    def __init__(self, upstream, delay, delay_file, log, answer_unimplemented, replay,
                 keep_alive=False):
        self.host, port = upstream.rsplit(":", 1)
        self.port = int(port)
        self.delay = delay
        self.delay_file = delay_file
        self.log = log
        self.answer = answer_unimplemented
        self.replay = {} if replay else None
        self.keep_alive = keep_alive
        self.conn_ids = 0

    def current_delay(self):
        if self.delay_file:
            try:
                with open(self.delay_file) as f:
                    return float(f.read().strip() or 0) / 1000.0
            except (OSError, ValueError):
                pass
        return self.delay

    def record(self, conn, op, status, upstream_ms, answered, replayed=False):
        self.log.write(f"{time.time():.6f} {conn} {op} {status} {upstream_ms:.1f}"
                       f"{' answered' if answered else ''}{' replayed' if replayed else ''}\n")
        self.log.flush()

    async def handle(self, creader, cwriter):
        self.conn_ids += 1
        conn = self.conn_ids
        ureader = uwriter = None
        try:
            while True:
                try:
                    head, start, headers = await read_head(creader)
                except Closed:
                    return
                body = await read_body(creader, headers, until_close=False)
                op = operation(start, headers, body)
                # The added latency: one round trip per request, before it leaves.
                delay = self.current_delay()
                if delay > 0:
                    await asyncio.sleep(delay)
                key = replay_key(op, start, body) if self.replay is not None else None
                if key in (self.replay or {}):
                    rhead, rbody, status, answered, close = self.replay[key]
                    self.record(conn, op, status, 0.0, answered, replayed=True)
                    cwriter.write(rhead + rbody)
                    await cwriter.drain()
                    if close:
                        return
                    continue
                t0 = time.monotonic()
                if uwriter is None:
                    ureader, uwriter = await asyncio.open_connection(self.host, self.port)
                uwriter.write(head + body)
                await uwriter.drain()
                rhead, rstart, rheaders = await read_head(ureader)
                status = int(rstart.split(" ")[1])
                no_body = start.startswith("HEAD ") or status in (204, 304) or status < 200
                framed = "content-length" in rheaders or "chunked" in rheaders.get(
                    "transfer-encoding", "").lower()
                # The upstream ends this connection after the response: so do we, after it.
                close = (rheaders.get("connection", "").lower() == "close"
                         or rstart.startswith("HTTP/1.0") or not (framed or no_body))
                rbody = b"" if no_body else await read_body(ureader, rheaders, until_close=True)
                upstream_ms = (time.monotonic() - t0) * 1000
                answered = False
                if self.answer and status == 500 and op in UNIMPLEMENTED:
                    payload = json.dumps(UNIMPLEMENTED[op]).encode()
                    rhead = (
                        "HTTP/1.1 200 OK\r\n"
                        "Content-Type: application/x-amz-json-1.1\r\n"
                        f"Content-Length: {len(payload)}\r\n"
                        "x-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\n"
                        f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
                    ).encode()
                    rbody, status, answered = payload, 200, True
                self.record(conn, op, status, upstream_ms, answered)
                if close and self.keep_alive and (framed or no_body):
                    # The upstream's connection ends here; the client's goes on.
                    rhead = re.sub(rb"(?im)^connection: *close\r\n", b"", rhead)
                    rhead = rhead[:-2] + b"Connection: keep-alive\r\n\r\n"
                    uwriter.close()
                    ureader = uwriter = None
                    close = False
                if key is not None and status < 500:
                    self.replay[key] = (rhead, rbody, status, answered, close)
                cwriter.write(rhead + rbody)
                await cwriter.drain()
                if close:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
            print(f"delay_proxy: connection {conn}: {type(e).__name__}: {e}", file=sys.stderr)
        finally:
            for w in (cwriter, uwriter):
                if w is not None:
                    w.close()


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", required=True, help="host:port of the emulator")
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--listen-port", type=int, default=0, help="0: any free port")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True, help="request log, appended to")
    ap.add_argument("--answer-unimplemented", action="store_true")
    ap.add_argument("--replay", action="store_true", help="answer repeated requests from memory")
    ap.add_argument("--keep-alive", action="store_true",
                    help="keep the client's connection open when the upstream closes its own")
    ap.add_argument("--delay-file", help="file holding the delay in ms, read per request")
    args = ap.parse_args()
    if not args.upstream.startswith("127.0.0.1:"):
        sys.exit("delay_proxy: the upstream must be on 127.0.0.1")
    with open(args.log, "a", buffering=1) as log:
        proxy = Proxy(args.upstream, args.delay_ms / 1000.0, args.delay_file, log,
                      args.answer_unimplemented, args.replay, args.keep_alive)
        server = await asyncio.start_server(proxy.handle, "127.0.0.1", args.listen_port,
                                            limit=1 << 24)
        port = server.sockets[0].getsockname()[1]
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.replace(args.port_file + ".tmp", args.port_file)
        async with server:
            await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
