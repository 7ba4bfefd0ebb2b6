#!/usr/bin/env python3
"""mediagw under hostile HTTP clients, against the same server quiet.

  bench/slow_clients.py [--build-dir build] [--idle 5000] [--uploads 300]
                        [--readers 300] [--submits 200] [--video-mib 32]

Runs the real mediagw and mediagw-sim from --build-dir on 127.0.0.1:
  a. quiet: --submits authenticated image submits (one at a time), their
     latency p50/p99, server RSS and descriptor count.
  b. attack: --idle connections held open (half silent, half trickling a
     header byte a second; reopened whenever the server cuts them) and
     --uploads unauthenticated 8 MB uploads (reopened 0.2 s after each
     answer), then the same submits: connections held, RSS, descriptors,
     submit p50/p99 and the ratio to (a), the time to the 401s.
  c. slow readers: --readers connections downloading a --video-mib MiB video
     from /uploads at 160 KiB/s each (16 KiB every 100 ms), then the same
     submits and one full-speed download of the video, against the same
     download on the quiet server.
The server's cap is left at its default (10000).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "tests", "integration", "hostile"))
import hostile  # noqa: E402


def submits(port, n):
    lat = []
    bad = 0
    for _ in range(n):
        status, elapsed = hostile.submit(port)
        lat.append(elapsed)
        bad += status != 200
    return (1000 * hostile.percentile(lat, 50),
            1000 * hostile.percentile(lat, 99), bad)


def report(label, stack, p50, p99, bad, base=None, extra=""):
    ratio = ""
    if base:
        ratio = "  (x%.2f / x%.2f of quiet)" % (p50 / base[0], p99 / base[1])
    print("%-13s submits p50 %7.2f ms  p99 %7.2f ms  failed %d%s\n"
          "%-13s server RSS %6.1f MiB  fds %5d%s" %
          (label, p50, p99, bad, ratio, "", stack.rss_kib() / 1024.0,
           stack.fd_count(), extra), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build-dir", default="build")
    p.add_argument("--idle", type=int, default=5000)
    p.add_argument("--uploads", type=int, default=300)
    p.add_argument("--readers", type=int, default=300)
    p.add_argument("--submits", type=int, default=200)
    p.add_argument("--video-mib", type=int, default=32)
    args = p.parse_args()
    hostile.raise_fd_limit()
    bdir = os.path.abspath(args.build_dir)
    stack = hostile.Stack(bdir + "/server/mediagw",
                          bdir + "/tools/sim/mediagw-sim")
    try:
        port = stack.port
        video = os.path.join(stack.blob_dir, "bench-video.mp4")
        os.makedirs(stack.blob_dir, exist_ok=True)
        with open(video, "wb") as f:
            f.write(os.urandom(args.video_mib << 20))
        submits(port, 20)  # warm-up
        quiet = submits(port, args.submits)
        _, n, quiet_dl = hostile.fetch(port, "/uploads/bench-video.mp4")
        report("quiet", stack, *quiet,
               extra="  video %d MiB in %.2f s" % (n >> 20, quiet_dl))

        attack = hostile.Attack(port, args.idle, args.uploads)
        attack.start()
        attack.ready.wait(120)
        time.sleep(2)
        held_before = attack.held
        under = submits(port, args.submits)
        held = min(held_before, attack.held)
        up_lat = sorted(attack.upload_latency)
        report("attack", stack, *under, base=quiet,
               extra="\n%-13s held %d connections (cut and reopened %d), "
                     "uploads answered %s, 401 after p50 %.1f ms p99 %.1f ms" %
               ("", held, attack.cut, dict(attack.upload_answers),
                1000 * hostile.percentile(up_lat, 50),
                1000 * hostile.percentile(up_lat, 99)))
        attack.stop()
        time.sleep(2)

        readers = hostile.SlowReaders(port, "/uploads/bench-video.mp4",
                                      args.readers)
        readers.start()
        readers.ready.wait(60)
        time.sleep(3)
        t0, b0 = time.monotonic(), readers.bytes
        slow = submits(port, args.submits)
        _, n, slow_dl = hostile.fetch(port, "/uploads/bench-video.mp4")
        rate = (readers.bytes - b0) / (1 << 20) / (time.monotonic() - t0)
        report("slow readers", stack, *slow, base=quiet,
               extra="\n%-13s %d readers, %.1f MiB/s in all, reconnects %d; "
                     "video %d MiB in %.2f s (x%.2f of quiet)" %
               ("", readers.open, rate, readers.errors, n >> 20, slow_dl,
                slow_dl / quiet_dl))
        readers.stop()
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
