#!/usr/bin/env python3
"""Hostile clients against the real binaries.

1. Cap above the attack: `--idle` idle or trickling connections and
   `--uploads` unauthenticated 8 MB uploads while authenticated submits go
   on. Every submit is answered 200, every upload gets 401 without its body
   being waited for, and the server's descriptor count stays under the cap.
2. Cap below the attack: connections beyond the cap are refused at once
   (503 or close, nothing read), and the connections already open keep
   working.

  hostile_clients_test.py <mediagw> <mediagw-sim> [--idle N] [--uploads N]
"""
import argparse
import http.client
import os
import select
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def cap_above_attack(args):
    cap = args.idle + args.uploads + 500
    stack = hostile.Stack(args.server, args.sim,
                          {"max_http_connections": cap})
    try:
        attack = hostile.Attack(stack.port, args.idle, args.uploads)
        attack.start()
        check(attack.ready.wait(60), "attack connections opened")
        max_fds = stack.fd_count()
        held = attack.held
        statuses, latencies = [], []
        end = time.monotonic() + args.seconds
        while time.monotonic() < end or len(statuses) < args.submits:
            status, elapsed = hostile.submit(stack.port)
            statuses.append(status)
            latencies.append(elapsed)
            max_fds = max(max_fds, stack.fd_count())
            held = max(held, attack.held)
            if len(statuses) >= 10 * args.submits:
                break
        attack.stop()
        answers = dict(attack.upload_answers)
        print("held %d attack connections; server fds max %d (cap %d); "
              "%d submits p50 %.1f ms p99 %.1f ms; uploads answered %s; "
              "cut %d idle/trickling" %
              (held, max_fds, cap, len(statuses),
               1000 * hostile.percentile(latencies, 50),
               1000 * hostile.percentile(latencies, 99), answers, attack.cut),
              flush=True)
        check(held >= args.idle,
              "attack held its connections (%d)" % held)
        check(all(s == 200 for s in statuses),
              "every authenticated submit answered 200 (%s)" %
              sorted(set(statuses)))
        check(max_fds < cap, "server fds %d stay under the cap %d" %
              (max_fds, cap))
        check(answers.get(401, 0) >= args.uploads and set(answers) == {401},
              "unauthenticated uploads all get 401 (%s)" % answers)
        sent = sorted(attack.upload_body_sent)
        check(bool(sent) and hostile.percentile(sent, 50) < hostile.UPLOAD_BYTES,
              "401 comes before the upload body is through (median %d bytes "
              "sent)" % (hostile.percentile(sent, 50) if sent else -1))
        check(stack.proc.poll() is None, "server still running")
    finally:
        stack.stop()
    return stack.tmp


def cap_below_attack(args):
    cap = 200
    extra = 100
    stack = hostile.Stack(args.server, args.sim,
                          {"max_http_connections": cap})
    socks = []
    try:
        for _ in range(cap + extra):
            s = socket.create_connection(("127.0.0.1", stack.port), timeout=10)
            socks.append(s)
            # Accept order follows connect order.
            time.sleep(0.001)
        # Refused ones are answered and closed at once; admitted ones hear
        # nothing until they ask.
        refused = set()
        odd = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            pending = [s for s in socks if s not in refused]
            readable, _, _ = select.select(pending, [], [], 0.2)
            for s in readable:
                try:
                    data = s.recv(4096)
                except ConnectionResetError:
                    data = b""
                if data != b"" and not data.startswith(b"HTTP/1.1 503 "):
                    odd.append(data[:40])
                refused.add(s)
        check(not odd, "every refusal is a bare 503 or a close (%r)" % odd[:3])
        check(len(refused) == extra,
              "%d of %d connections beyond the cap of %d refused" %
              (len(refused), cap + extra, cap))
        check(all(socks.index(s) >= cap for s in refused),
              "only connections beyond the cap were refused")
        # The admitted ones keep working, an authenticated submit included.
        for i in (0, 57, cap - 1):
            s = socks[i]
            conn = http.client.HTTPConnection("127.0.0.1", stack.port,
                                              timeout=30)
            conn.sock = s
            status, _ = hostile.submit(stack.port, conn=conn)
            check(status == 200, "held connection %d: submit answered (%d)" %
                  (i, status))
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            resp.read()
            check(resp.status == 200, "held connection %d: healthz" % i)
        check(stack.proc.poll() is None, "server still running")
    finally:
        for s in socks:
            s.close()
        stack.stop()
    return stack.tmp


def main():
    p = argparse.ArgumentParser()
    p.add_argument("server")
    p.add_argument("sim")
    p.add_argument("--idle", type=int, default=2000)
    p.add_argument("--uploads", type=int, default=50)
    p.add_argument("--submits", type=int, default=30)
    p.add_argument("--seconds", type=float, default=4.0)
    args = p.parse_args()
    hard = hostile.raise_fd_limit()
    if hard < args.idle + args.uploads + 1000:
        print("skipped: RLIMIT_NOFILE hard limit %d too low" % hard)
        return 77
    tmps = [cap_above_attack(args), cap_below_attack(args)]
    if failures:
        print("%d failures; logs in %s" % (len(failures), " ".join(tmps)))
        return 1
    for t in tmps:
        shutil.rmtree(t, ignore_errors=True)
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
