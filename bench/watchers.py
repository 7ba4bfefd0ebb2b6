#!/usr/bin/env python3
"""Watcher clients for bench/watchers.sh: N open watchers on one task.

  bench/watchers.py sse  --url http://127.0.0.1:PORT --key KEY --task ID \
      --count N --ready FILE --out FILE [--deadline S]
  bench/watchers.py grpc --target 127.0.0.1:PORT --key KEY --task ID \
      --count N --ready FILE --out FILE [--channels C] [--deadline S]

sse:  N raw asyncio sockets, each `GET /v1/tasks/{id}/events` (HTTP/1.1,
      x-api-key), opened 500 at a time. Standard library only.
grpc: N `mediagw.v1.MediaService/StreamTask` calls over C channels (default
      100, each its own HTTP/2 connection; the server allows 100 streams per
      connection by default), grpc.aio with raw bytes: the request and the
      Task.state of each event are encoded and read by hand, so no generated
      code is needed (Debian's python3-grpcio under /usr/bin/python3).

Once every watcher has received its first event (the snapshot) the client
writes {"watchers": n, "t": <unix time>} to --ready. Then it waits until each
stream has delivered a terminal state (SUCCEEDED, FAILED, CANCELED,
TIMED_OUT) or --deadline seconds (default 600) have passed, and writes to
--out: {"watchers", "first_events", "terminal", "ended", "errors",
"first_terminal", "last_terminal"} with the arrival times (unix seconds,
this machine's clock) of the first and the last terminal event.
"""
import argparse
import asyncio
import json
import os
import sys
import time

TERMINAL_NAMES = (b"TASK_STATE_SUCCEEDED", b"TASK_STATE_FAILED",
                  b"TASK_STATE_CANCELED", b"TASK_STATE_TIMED_OUT")
TERMINAL_NUMBERS = (6, 7, 8, 9)


class Tally:
    def __init__(self, count):
        self.count = count
        self.first = 0
        self.terminal = []
        self.ended = 0
        self.errors = {}
        self.all_first = asyncio.Event()
        self.all_done = asyncio.Event()

    def got_first(self):
        self.first += 1
        if self.first == self.count:
            self.all_first.set()

    def got_terminal(self):
        self.terminal.append(time.time())
        self._check_done()

    def error(self, what):
        self.errors[what] = self.errors.get(what, 0) + 1
        self._check_done()

    def _check_done(self):
        if len(self.terminal) + sum(self.errors.values()) >= self.count:
            self.all_done.set()


# ------------------------------------------------------------------ SSE
async def sse_one(args, host, port, tally):
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as e:
        tally.error("connect: %s" % e.__class__.__name__)
        return
    req = ("GET /v1/tasks/%s/events HTTP/1.1\r\nHost: %s:%d\r\n"
           "x-api-key: %s\r\nAccept: text/event-stream\r\n\r\n"
           % (args.task, host, port, args.key)).encode()
    writer.write(req)
    buf = b""
    first = False
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            tally.error("status %s" % head.split(b"\r\n", 1)[0].decode(errors="replace"))
            return
        while True:
            data = await reader.read(65536)
            if not data:
                tally.ended += 1
                tally.error("ended without a terminal event")
                return
            buf += data
            if not first and b"data: " in buf:
                first = True
                tally.got_first()
            if any(name in buf for name in TERMINAL_NAMES):
                tally.got_terminal()
                tally.ended += 1
                return
            # Keep only the tail: a state name cut between reads still
            # matches, and memory stays bounded.
            buf = buf[-64:]
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
        tally.error("read: %s" % e.__class__.__name__)
    finally:
        writer.close()


async def run_sse(args, tally):
    url = args.url.split("://", 1)[1].rstrip("/")
    host, port = url.rsplit(":", 1)
    tasks = []
    for i in range(0, args.count, 500):
        batch = [asyncio.create_task(sse_one(args, host, int(port), tally))
                 for _ in range(min(500, args.count - i))]
        tasks += batch
        await asyncio.sleep(0.05)
    return tasks


# ------------------------------------------------------------------ gRPC
def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_varint(buf, pos):
    shift = value = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def fields(buf):
    """(number, wire type, value) of each field of one protobuf message."""
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = read_varint(buf, pos)
        elif wt == 1:
            val, pos = buf[pos:pos + 8], pos + 8
        elif wt == 2:
            n, pos = read_varint(buf, pos)
            val, pos = buf[pos:pos + n], pos + n
        elif wt == 5:
            val, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError("wire type %d" % wt)
        yield num, wt, val


def event_state(raw):
    """TaskEvent{1: Task{2: state}} -> the state number (0 if absent)."""
    for num, wt, val in fields(raw):
        if num == 1 and wt == 2:
            for n2, w2, v2 in fields(val):
                if n2 == 2 and w2 == 0:
                    return v2
    return 0


async def grpc_one(call, tally):
    first = False
    try:
        async for raw in call:
            if not first:
                first = True
                tally.got_first()
            if event_state(raw) in TERMINAL_NUMBERS:
                tally.got_terminal()
                tally.ended += 1
                return
        tally.ended += 1
        tally.error("ended without a terminal event")
    except Exception as e:  # grpc.aio.AioRpcError and cancellation
        tally.error("rpc: %s" % getattr(e, "code", lambda: e.__class__.__name__)())


async def run_grpc(args, tally):
    import grpc  # python3-grpcio
    task_id = args.task.encode()
    request = b"\x0a" + varint(len(task_id)) + task_id
    channels = [grpc.aio.insecure_channel(
        args.target, options=[("grpc.use_local_subchannel_pool", 1)])
        for _ in range(args.channels)]
    tasks = []
    for i in range(args.count):
        ch = channels[i % len(channels)]
        stream = ch.unary_stream("/mediagw.v1.MediaService/StreamTask",
                                 request_serializer=None,
                                 response_deserializer=None)
        call = stream(request, metadata=(("x-api-key", args.key),),
                      timeout=args.deadline)
        tasks.append(asyncio.create_task(grpc_one(call, tally)))
        if i % 500 == 499:
            await asyncio.sleep(0.05)
    return tasks


async def main(args):
    tally = Tally(args.count)
    start = time.time()
    tasks = await (run_sse(args, tally) if args.kind == "sse"
                   else run_grpc(args, tally))
    deadline = start + args.deadline
    try:
        await asyncio.wait_for(tally.all_first.wait(), deadline - time.time())
    except asyncio.TimeoutError:
        pass
    write_json(args.ready, {"watchers": tally.first, "t": time.time(),
                            "open_seconds": time.time() - start,
                            "errors": tally.errors})
    try:
        await asyncio.wait_for(tally.all_done.wait(), deadline - time.time())
    except asyncio.TimeoutError:
        pass
    t = sorted(tally.terminal)
    write_json(args.out, {
        "watchers": args.count, "first_events": tally.first,
        "terminal": len(t), "ended": tally.ended, "errors": tally.errors,
        "first_terminal": t[0] if t else None,
        "last_terminal": t[-1] if t else None})
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def write_json(path, obj):
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("kind", choices=["sse", "grpc"])
    p.add_argument("--url")
    p.add_argument("--target")
    p.add_argument("--key", required=True)
    p.add_argument("--task", required=True)
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--channels", type=int, default=100)
    p.add_argument("--ready", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--deadline", type=float, default=600)
    a = p.parse_args()
    if (a.kind == "sse") != bool(a.url) or (a.kind == "grpc") != bool(a.target):
        sys.exit("watchers.py: sse needs --url, grpc needs --target")
    asyncio.run(main(a))
