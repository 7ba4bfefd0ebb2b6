#!/usr/bin/env python3
"""/metrics and the JSON log of the real server after a few tasks.

Starts the simulator and mediagw --log_format=json, submits image tasks over
REST with an x-request-id each, waits for them to finish, then
1. parses /metrics with prometheus_client's parser and checks the families
   (names, types, HELP/TYPE once each) and that the counts match the tasks
   run: finished tasks by workflow/channel/state, submits, upstream call
   histograms, blob bytes (the sum of the outputs' sizes), gauges;
2. checks that every line the server wrote to stderr is one JSON object with
   time, level and msg, and that each task's lifecycle lines carry the
   request id its submit sent.

  metrics_logs_test.py <mediagw> <mediagw-sim>
"""
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "hostile"))
import hostile  # noqa: E402

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("skipped: python3-prometheus-client is not installed")
    sys.exit(77)

TASKS = 4
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body, headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def submit(port, request_id):
    body = json.dumps({"prompt": "a lighthouse at dusk", "workflow": "default"})
    status, data = request(port, "POST", hostile.SUBMIT_PATH, body,
                           {"x-api-key": hostile.KEY,
                            "Content-Type": "application/json",
                            "x-request-id": request_id})
    if status != 200:
        raise RuntimeError("submit answered %d: %r" % (status, data[:200]))
    return json.loads(data)["data"]["id"]


def wait_done(port, task_id, seconds=60):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        status, data = request(
            port, "GET", "/v1/index.php?endpoint=task_status&task_id=" +
            task_id, headers={"x-api-key": hostile.KEY})
        if status == 200:
            info = json.loads(data)["data"]
            if info["status"] in ("completed", "failed", "cancelled",
                                  "canceled", "timed_out"):
                return info
        time.sleep(0.05)
    raise RuntimeError("task %s did not finish" % task_id)


def grpc_get(stack, task_id):
    """One GetTask over gRPC through the shipped CLI client."""
    cli = os.path.join(os.path.dirname(os.path.dirname(sys.argv[1])),
                       "tools", "cli", "mediagw-cli")
    ports = hostile.wait_file(stack.tmp + "/mediagw.ports")
    out = subprocess.run(
        [cli, "--addr=127.0.0.1:%d" % ports["grpc"], "--key=" + hostile.KEY,
         "get", task_id], capture_output=True, text=True, timeout=30)
    check(out.returncode == 0, "mediagw-cli get answers (%s)" %
          (out.stderr or out.stdout)[:200])


def families_of(text):
    fams = {}
    for fam in text_string_to_metric_families(text):
        check(fam.type != "untyped" or not fam.name.startswith("mediagw_"),
              "sample %s belongs to a declared family" % fam.name)
        fams[fam.name] = fam
    return fams


def samples(fam, suffix="", **labels):
    return [s for s in fam.samples if s.name == fam.name + suffix and
            all(s.labels.get(k) == v for k, v in labels.items())]


def total(fam, suffix="", **labels):
    return sum(s.value for s in samples(fam, suffix, **labels))


def check_metrics(port, outputs_bytes):
    status, data = request(port, "GET", "/metrics")
    check(status == 200, "/metrics answers 200")
    text = data.decode("utf-8")
    for kind in ("HELP", "TYPE"):
        names = re.findall(r"^# %s (\S+)" % kind, text, re.M)
        check(len(names) == len(set(names)),
              "one # %s line per family" % kind)
    fams = families_of(text)
    # The parser names counter families without their _total suffix.
    want = {
        "mediagw_submits": "counter",
        "mediagw_tasks_finished": "counter",
        "mediagw_upstream_request_duration_seconds": "histogram",
        "mediagw_blob_written_bytes": "counter",
        "mediagw_channel_active_tasks": "gauge",
        "mediagw_workflow_waiting_tasks": "gauge",
        "mediagw_active_tasks": "gauge",
        "mediagw_waiting_tasks": "gauge",
        "mediagw_http_open_connections": "gauge",
        "mediagw_http_requests": "counter",
        "mediagw_http_request_duration_seconds": "histogram",
        "mediagw_grpc_requests": "counter",
        "mediagw_grpc_request_duration_seconds": "histogram",
        "mediagw_grpc_open_streams": "gauge",
    }
    for name, typ in want.items():
        fam = fams.get(name)
        check(fam is not None and fam.type == typ,
              "%s is a %s (%s)" % (name, typ, fam and fam.type))
    if failures:
        return
    finished = fams["mediagw_tasks_finished"]
    ok = samples(finished, "_total", workflow="default",
                 state="TASK_STATE_SUCCEEDED")
    check(sum(s.value for s in ok) == TASKS,
          "tasks_finished_total{workflow=default,state=SUCCEEDED} is %d (%s)"
          % (TASKS, [(s.labels, s.value) for s in finished.samples]))
    channels = {s.labels["channel"] for s in ok}
    check(len(channels) >= 1 and "" not in channels,
          "finished tasks name their channel (%s)" % sorted(channels))
    check(total(finished, "_total") == TASKS, "no other task finished")
    check(total(fams["mediagw_submits"], "_total", code="OK") == TASKS,
          "submits_total{code=OK} is %d" % TASKS)

    upstream = fams["mediagw_upstream_request_duration_seconds"]
    for channel in channels:
        count = total(upstream, "_count", channel=channel, outcome="2xx")
        check(count >= TASKS,
              "upstream calls of channel %s timed (%d answered 2xx)" %
              (channel, count))
    by_series = {}
    for s in upstream.samples:
        key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        by_series.setdefault(key, {})[(s.name, s.labels.get("le"))] = s.value
    for key, values in by_series.items():
        buckets = sorted(((float(le), v) for (n, le), v in values.items()
                          if n.endswith("_bucket")))
        counts = [v for _, v in buckets]
        check(counts == sorted(counts) and buckets[-1][0] == float("inf") and
              buckets[-1][1] == values[(upstream.name + "_count", None)],
              "upstream histogram %s: cumulative buckets end at +Inf = count"
              % dict(key))
        check(values[(upstream.name + "_sum", None)] > 0,
              "upstream histogram %s: sum of durations > 0" % dict(key))

    check(total(fams["mediagw_blob_written_bytes"], "_total") ==
          outputs_bytes,
          "blob bytes written (%d) are the outputs' bytes (%d)" %
          (total(fams["mediagw_blob_written_bytes"], "_total"), outputs_bytes))
    active = fams["mediagw_channel_active_tasks"]
    check(all(s.value == 0 for s in active.samples) and
          {s.labels["channel"] for s in active.samples} >= channels,
          "no channel has active tasks once all finished (%s)" %
          [(s.labels, s.value) for s in active.samples])
    check(total(fams["mediagw_active_tasks"]) == 0, "active_tasks is 0")
    check(total(fams["mediagw_http_open_connections"]) >= 1,
          "the /metrics connection itself is open")
    check(total(fams["mediagw_grpc_open_streams"]) == 0, "no gRPC streams")
    http_req = fams["mediagw_http_requests"]
    check(total(http_req, "_total", route="legacy", code="200") >= TASKS,
          "http_requests_total{route=legacy,code=200} counts the submits")
    check(total(fams["mediagw_grpc_requests"], "_total",
                method="/mediagw.v1.MediaService/GetTask", code="OK") == 1,
          "grpc_requests_total counts the GetTask call (%s)" %
          [(s.labels, s.value) for s in fams["mediagw_grpc_requests"].samples])


RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def check_log(path, request_ids):
    with open(path, "rb") as f:
        raw = f.read().decode("utf-8")  # strict: the log is UTF-8
    lines = raw.splitlines()
    check(len(lines) > 0 and raw.endswith("\n"), "the log has whole lines")
    bad = []
    entries = []
    for line in lines:
        try:
            obj = json.loads(line)
        except ValueError:
            bad.append(line)
            continue
        if not (isinstance(obj, dict) and RFC3339.match(obj.get("time", ""))
                and obj.get("level") in ("debug", "info", "warning", "error")
                and isinstance(obj.get("msg"), str)):
            bad.append(line)
        entries.append(obj)
    check(not bad, "every log line is one JSON object with time, level, msg "
          "(%d bad, first %r)" % (len(bad), bad[:1]))
    for task_id, rid in request_ids.items():
        mine = [e for e in entries if e.get("task_id") == task_id]
        msgs = [e["msg"] for e in mine]
        for want in ("task submitted", "task sent to channel",
                     "upstream id assigned", "task finished"):
            check(want in msgs, "task %s: a %r line" % (task_id, want))
        check(mine and all(e.get("request_id") == rid for e in mine),
              "task %s: all %d lifecycle lines carry request_id %s" %
              (task_id, len(mine), rid))
        finished = [e for e in mine if e["msg"] == "task finished"]
        check(len(finished) == 1 and
              finished[0].get("state") == "TASK_STATE_SUCCEEDED" and
              finished[0].get("workflow") == "default" and
              finished[0].get("channel"),
              "task %s: one outcome line, SUCCEEDED, with workflow and "
              "channel" % task_id)
    check(not any(hostile.KEY in line for line in lines),
          "the API key never reaches the log")
    access = [e for e in entries if e.get("msg") == "access"]
    for rid in request_ids.values():
        mine = [e for e in access if e.get("request_id") == rid]
        check(len(mine) == 1 and mine[0].get("route") == "legacy" and
              mine[0].get("status") == 200 and
              mine[0].get("key_name") and mine[0].get("method") == "POST" and
              mine[0].get("bytes_in", 0) > 0,
              "one access line for submit %s: route legacy, 200, key name "
              "(%s)" % (rid, mine))
    grpc = [e for e in access if e.get("surface") == "grpc"]
    check(any(e.get("method") == "/mediagw.v1.MediaService/GetTask" and
              e.get("code") == "OK" and e.get("key_name") for e in grpc),
          "an access line for the gRPC GetTask call (%s)" % grpc[:2])


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    stack = hostile.Stack(sys.argv[1], sys.argv[2],
                          server_args=["--log_format=json"],
                          split_stderr=True)
    try:
        request_ids = {}
        for i in range(TASKS):
            rid = "obs-test-%d-%s" % (i, os.urandom(4).hex())
            request_ids[submit(stack.port, rid)] = rid
        outputs_bytes = 0
        for task_id in request_ids:
            info = wait_done(stack.port, task_id)
            check(info["status"] == "completed",
                  "task %s completed (%s)" % (task_id, info["status"]))
            for url in info.get("images") or []:
                path = url[url.index("/uploads/"):]
                status, data = request(stack.port, "GET", path)
                check(status == 200, "output %s served" % path)
                outputs_bytes += len(data)
        grpc_get(stack, next(iter(request_ids)))
        check_metrics(stack.port, outputs_bytes)
    finally:
        stack.stop()
    check_log(stack.tmp + "/mediagw.log", request_ids)
    if failures:
        print("%d failures; logs in %s" % (len(failures), stack.tmp))
        return 1
    shutil.rmtree(stack.tmp, ignore_errors=True)
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
