#!/usr/bin/env python3
"""Waits for a run to finish, from one process (no fork per poll).

  bench/poll.py metric REST_URL SERIES N T0 TIMEOUT
      polls REST_URL/metrics every 20 ms until SERIES reaches N; prints
      "<value> <seconds since T0>". SERIES is a name with some of its
      labels, e.g. mediagw_tasks_finished_total{state="TASK_STATE_SUCCEEDED"}:
      the sum of every series of that name whose labels include those.
  bench/poll.py sim SIM_URL N T0 TIMEOUT
      polls SIM_URL/prompt until the simulator's queue is empty, then reads
      /history and prints "<successful jobs> <seconds from T0 to the last
      execution_success timestamp>" (the simulator's own clock, so the
      polling period does not count).
T0 is a Unix time in seconds (date +%s.%N) taken just before the load
started. Exits 1 on timeout (still printing what was reached).
"""
import json
import re
import sys
import time
import urllib.request


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def split_series(series):
    name, _, labels = series.partition("{")
    return name, set(LABEL.findall(labels))


def metric_value(text, series):
    want_name, want_labels = split_series(series)
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        sample, _, value = line.rpartition(" ")
        name, labels = split_series(sample)
        if name == want_name and want_labels <= labels:
            total += float(value)
    return int(total)


def wait_metric(rest, series, n, t0, timeout):
    value = 0
    while True:
        try:
            value = metric_value(get(rest + "/metrics").decode(), series)
        except OSError:
            pass
        now = time.time()
        if value >= n:
            print(value, round(now - t0, 3))
            return 0
        if now - t0 > timeout:
            print(value, round(now - t0, 3))
            return 1
        time.sleep(0.02)


def wait_sim(sim, n, t0, timeout):
    code = 0
    while True:
        try:
            info = json.loads(get(sim + "/prompt"))
            if info["exec_info"]["queue_remaining"] == 0:
                break
        except (OSError, ValueError, KeyError):
            pass
        if time.time() - t0 > timeout:
            code = 1
            break
        time.sleep(0.02)
    history = json.loads(get(sim + "/history", timeout=30))
    done, last = 0, t0
    for job in history.values():
        status = job.get("status", {})
        if status.get("status_str") != "success":
            continue
        done += 1
        for kind, body in status.get("messages", []):
            if kind == "execution_success":
                last = max(last, body["timestamp"] / 1000.0)
    print(done, round(last - t0, 3))
    return code if done >= n else 1


def main(argv):
    if len(argv) == 6 and argv[0] == "metric":
        return wait_metric(argv[1], argv[2], int(argv[3]), float(argv[4]),
                           float(argv[5]))
    if len(argv) == 5 and argv[0] == "sim":
        return wait_sim(argv[1], int(argv[2]), float(argv[3]), float(argv[4]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
