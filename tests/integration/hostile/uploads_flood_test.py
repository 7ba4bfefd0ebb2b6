#!/usr/bin/env python3
"""Serving files and checking upstream notices cannot starve tasks.

While `--readers` slow readers download a video from /uploads and a flood
of completion notices for unknown task ids hits /v1/callbacks, a batch of
tasks still runs to the end. Their latency is printed next to the same
batch on the quiet server (a ratio; bench/slow_clients.py records it), but
only completion is asserted: timing belongs to the benchmark.

  uploads_flood_test.py <mediagw> <mediagw-sim> [--readers N] [--tasks N]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("server")
    p.add_argument("sim")
    p.add_argument("--readers", type=int, default=300)
    p.add_argument("--tasks", type=int, default=20)
    p.add_argument("--video-mib", type=int, default=8)
    args = p.parse_args()
    hostile.raise_fd_limit()
    stack = hostile.Stack(args.server, args.sim)
    failures = []
    try:
        os.makedirs(stack.blob_dir, exist_ok=True)
        with open(os.path.join(stack.blob_dir, "flood-video.mp4"), "wb") as f:
            f.write(os.urandom(args.video_mib << 20))
        hostile.run_tasks(stack.port, 10)  # warm-up: first tasks are slower
        quiet, quiet_states = hostile.run_tasks(stack.port, args.tasks)
        readers = hostile.SlowReaders(stack.port, "/uploads/flood-video.mp4",
                                      args.readers)
        flood = hostile.CallbackFlood(stack.port)
        readers.start()
        readers.ready.wait(60)
        flood.start()
        loaded, loaded_states = hostile.run_tasks(stack.port, args.tasks)
        flood.stop()
        read = readers.bytes
        readers.stop()
        for name, states in (("quiet", quiet_states),
                             ("flooded", loaded_states)):
            if states.count("completed") != args.tasks:
                failures.append("%s tasks ended %s" % (name, states))
        answers = dict(flood.answers)
        if not answers or set(answers) != {404}:
            failures.append("notices for unknown ids answered %s" % answers)
        if readers.open != args.readers or read == 0:
            failures.append("readers: %d open, %d bytes read" %
                            (readers.open, read))
        q50 = hostile.percentile(quiet, 50)
        l50 = hostile.percentile(loaded, 50)
        print("tasks: quiet p50 %.0f ms; with %d slow readers (%d MiB read) "
              "and %d forged notices p50 %.0f ms (%.2fx)" %
              (q50 * 1e3, readers.open, read >> 20, sum(answers.values()),
               l50 * 1e3, l50 / q50 if q50 else float("nan")), flush=True)
    finally:
        stack.stop()
    for f in failures:
        print("FAIL " + f)
    print("%d passed, %d failed" % (1 if not failures else 0,
                                    1 if failures else 0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
