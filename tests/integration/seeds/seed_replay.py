#!/usr/bin/env python3
"""Replays every example request of the seed documents with curl.

The examples are read from the seed files themselves (JSON code blocks, curl
--data bodies, the apifox example value), so a changed seed is replayed as
written. Legacy-surface examples (seeds 000, 001) go to a real mediagw wired
to the simulator; upstream examples (kie 002, OpenAI-style gateways 003 and
004) go to the simulator, which must accept them as the real upstream does,
and again to mediagw's own compatible surfaces (kie jobs, OpenAI images),
which must answer them as the seeds show. Seed 004's Python example is run
as written, with only its base URL and key filled in. Each reply is
compared key by key with the seed's reply example.

  seed_replay.py <mediagw binary> <mediagw-sim binary> <seeds dir>
"""
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
KEY = "sk-seed-replay"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def curl(method, url, body=None, headers=()):
    cmd = ["curl", "-sS", "-X", method, url, "-w", "\n%{http_code}"]
    for h in headers:
        cmd += ["-H", h]
    if body is not None:
        cmd += ["-H", "Content-Type: application/json", "--data-binary", body]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout
    text, _, code = out.rpartition("\n")
    return int(code or 0), text


def json_blocks(text):
    return [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, re.S)]


def same_shape(got, want):
    """Keys (recursively for objects) of `want` are exactly those of `got`."""
    if isinstance(want, dict):
        return (isinstance(got, dict) and set(got) == set(want) and
                all(same_shape(got[k], want[k]) for k in want))
    if isinstance(want, list):
        return isinstance(got, list) and all(
            same_shape(g, want[0]) for g in got) if want else True
    return want is None or got is None or type(got) == type(want) or (
        isinstance(want, (int, float)) and isinstance(got, (int, float)))


def wait_file(path, seconds=30):
    end = time.time() + seconds
    while time.time() < end:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return json.load(open(path))
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + path)


def start(server_bin, sim_bin, tmp):
    sim = subprocess.Popen([sim_bin, "--port", "0", "--ports_file",
                            tmp + "/sim.ports", "--step_ms", "5"],
                           stdout=open(tmp + "/sim.log", "w"),
                           stderr=subprocess.STDOUT)
    sim_url = "http://127.0.0.1:%d" % wait_file(tmp + "/sim.ports")["port"]
    env = dict(os.environ, SEED_KEY=KEY)
    exports = subprocess.run(
        [sys.executable, ROOT + "/scripts/sim_config.py", "--sim", sim_url,
         "--data", tmp + "/data", "--out", tmp + "/mediagw.json",
         "--ports-file", tmp + "/mediagw.ports", "--key-env", "SEED_KEY",
         "--poll-ms", "50", "--print-env"],
        capture_output=True, text=True, check=True).stdout
    for line in exports.splitlines():
        k, v = line[len("export "):].split("=", 1)
        env[k] = v
    server = subprocess.Popen([server_bin, "--config=" + tmp + "/mediagw.json"],
                              env=env, stdout=open(tmp + "/mediagw.log", "w"),
                              stderr=subprocess.STDOUT)
    rest = "http://127.0.0.1:%d" % wait_file(tmp + "/mediagw.ports")["http"]
    return sim, server, sim_url, rest


def requests_of(blocks, sim):
    """The seed's example requests; a video request naming a remote picture
    is replayed as written and again with the picture on the simulator's
    sample host (the only address the fetcher may reach here)."""
    for req in (b for b in blocks if "prompt" in b):
        yield req
        if "example.com" in req.get("image", ""):
            local = dict(req)
            local["image"] = sim + "/samples/512x512.jpg"
            yield local


def replay_legacy(seeds, rest, sim):
    hdr = ["x-api-key: " + KEY]
    for name in ("000", "001"):
        path = [f for f in os.listdir(seeds) if f.startswith(name)][0]
        blocks = json_blocks(open(os.path.join(seeds, path)).read())
        replies = [b for b in blocks if "success" in b]
        for req in requests_of(blocks, sim):
            endpoint = "video_generation" if "image" in req else "image_generation"
            code, text = curl("POST", rest + "/v1/index.php?endpoint=" + endpoint,
                              json.dumps(req), hdr)
            label = "seed %s %s workflow=%s" % (name, endpoint,
                                                req.get("workflow", "default"))
            check(code == 200, label + ": HTTP 200 (%d %s)" % (code, text[:200]))
            got = json.loads(text)
            # The seed's reply example for this kind of request.
            wf = req.get("workflow", "default")
            if endpoint == "video_generation":
                want = [r for r in replies
                        if r["data"].get("message") == "Video generation queued."]
            elif wf in ("rr3", "grok"):
                want = [r for r in replies if r["data"].get("provider") == wf]
            else:
                want = [r for r in replies if "message" in r["data"] and
                        "check_status" not in r["data"]]
            check(bool(want) and same_shape(got, want[0]),
                  label + ": reply has the seed's shape: " + text[:200])
            if want and "provider" in want[0]["data"]:
                check(got["data"]["provider"] == want[0]["data"]["provider"],
                      label + ": provider label")
            task_id = got["data"]["id"]
            status = None
            for _ in range(600):
                _, st = curl("GET", rest + "/v1/index.php?endpoint=task_status"
                             "&task_id=" + task_id, None, hdr)
                status = json.loads(st)["data"]["status"]
                if status in ("completed", "failed", "cancelled"):
                    break
                time.sleep(0.05)
            if endpoint == "video_generation" and "example.com" in req["image"]:
                # The seed's input URL is not reachable from here: the task is
                # acknowledged, then fails cleanly at the fetch.
                check(status == "failed", label + ": unreachable input fails")
            else:
                check(status == "completed", label + ": completed (%s)" % st[:300])


def replay_upstreams(seeds, sim):
    auth = ["Authorization: Bearer sim-key"]
    files = {f[:3]: open(os.path.join(seeds, f)).read() for f in os.listdir(seeds)}
    # 002: kie createTask, the curl example's --data body.
    body = re.search(r"--data '\s*(\{.*?\})\s*'", files["002"], re.S).group(1)
    code, text = curl("POST", sim + "/kie/api/v1/jobs/createTask", body, auth)
    want = [b for b in json_blocks(files["002"]) if "code" in b][0]
    check(code == 200 and same_shape(json.loads(text), want),
          "seed 002 createTask example: %s" % text[:200])
    # 003: the apifox example value, to the seed-003 dialect gateway.
    value = re.search(r'"value": (".*?")\s*,\s*"mediaType"', files["003"], re.S)
    body = json.loads(value.group(1))
    code, text = curl("POST", sim + "/oai3/v1/images/generations", body, auth)
    reply = json.loads(text) if code == 200 else {}
    check(code == 200 and "created" in reply and "usage" in reply and
          len(reply.get("data", [])) == json.loads(body)["n"],
          "seed 003 example: %d %s" % (code, text[:200]))
    # 004: every curl -d body, to the seed-004 dialect gateway.
    for body in re.findall(r"-d '(\{.*?\})'", files["004"], re.S):
        req = json.loads(body)
        code, text = curl("POST", sim + "/oai4/v1/images/generations", body, auth)
        reply = json.loads(text) if code == 200 else {}
        fmt = req.get("response_format", "url")
        check(code == 200 and len(reply.get("data", [])) == req.get("n", 1) and
              all(fmt in d for d in reply["data"]),
              "seed 004 example n=%s %s: %d %s" % (req.get("n", 1), fmt, code,
                                                   text[:120]))


def fetch_ok(url):
    """The URL answers 200 with a body (an image: not read as text)."""
    out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w",
                          "%{http_code} %{size_download}", url],
                         capture_output=True, text=True, timeout=60).stdout
    code, _, size = out.partition(" ")
    return code == "200" and int(size or 0) > 0


def replay_compat(seeds, rest):
    """The upstream seeds' examples sent to mediagw itself: a caller written
    for those APIs only changes its base URL and key."""
    auth = ["Authorization: Bearer " + KEY]
    files = {f[:3]: open(os.path.join(seeds, f)).read() for f in os.listdir(seeds)}
    # 002: kie createTask, then recordInfo until the task ends.
    body = re.search(r"--data '\s*(\{.*?\})\s*'", files["002"], re.S).group(1)
    code, text = curl("POST", rest + "/api/v1/jobs/createTask", body, auth)
    want = [b for b in json_blocks(files["002"]) if "code" in b][0]
    got = json.loads(text) if code == 200 else {}
    check(code == 200 and same_shape(got, want) and got.get("code") == 200,
          "mediagw kie createTask, seed 002 example: %s" % text[:200])
    task_id = (got.get("data") or {}).get("taskId", "")
    state, data = None, {}
    for _ in range(600):
        _, st = curl("GET", rest + "/api/v1/jobs/recordInfo?taskId=" + task_id,
                     None, auth)
        data = json.loads(st).get("data") or {}
        state = data.get("state")
        if state in ("success", "fail"):
            break
        time.sleep(0.05)
    urls = json.loads(data.get("resultJson") or "{}").get("resultUrls", [])
    check(state == "success" and urls and all(fetch_ok(u) for u in urls),
          "mediagw kie recordInfo: success with fetchable resultUrls (%s)" %
          json.dumps(data)[:300])
    check(data.get("model") == json.loads(body)["model"],
          "mediagw kie recordInfo names the model")
    # 003: the apifox example value, as written.
    value = re.search(r'"value": (".*?")\s*,\s*"mediaType"', files["003"], re.S)
    body = json.loads(value.group(1))
    code, text = curl("POST", rest + "/v1/images/generations", body, auth)
    reply = json.loads(text) if code == 200 else {}
    check(code == 200 and "created" in reply and
          len(reply.get("data", [])) == json.loads(body)["n"] and
          all("b64_json" in d for d in reply["data"]),
          "mediagw OpenAI images, seed 003 example: %d %s" % (code, text[:200]))
    # 004: every curl -d body.
    for body in re.findall(r"-d '(\{.*?\})'", files["004"], re.S):
        req = json.loads(body)
        code, text = curl("POST", rest + "/v1/images/generations", body, auth)
        reply = json.loads(text) if code == 200 else {}
        fmt = req.get("response_format", "url")
        check(code == 200 and len(reply.get("data", [])) == req.get("n", 1) and
              all(fmt in d for d in reply["data"]),
              "mediagw OpenAI images, seed 004 example n=%s %s: %d %s" %
              (req.get("n", 1), fmt, code, text[:120]))
        if code == 200 and fmt == "url":
            check(all(fetch_ok(d["url"]) for d in reply["data"]),
                  "mediagw OpenAI images: the URLs serve the images")
    # 004's Python example, run as written: only API_BASE and API_KEY change.
    script = re.search(r'(""".*?print\("Response:", res\))', files["004"],
                       re.S).group(1)
    script = re.sub(r'API_BASE = ".*?"', 'API_BASE = "%s"' % rest, script)
    script = re.sub(r'API_KEY = ".*?"', 'API_KEY = "%s"' % KEY, script)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True,
                         text=True, timeout=120)
    m = re.search(r"^Response: (\{.*\})$", out.stdout, re.M)
    res = ast.literal_eval(m.group(1)) if m else {}
    check(out.returncode == 0 and len(res.get("data", [])) == 2 and
          all("url" in d for d in res["data"]),
          "seed 004 Python example against mediagw: %s %s" %
          (out.stdout[-300:], out.stderr[-300:]))


def main():
    server_bin, sim_bin, seeds = sys.argv[1:4]
    tmp = tempfile.mkdtemp(prefix="mediagw-seeds-")
    sim, server = None, None
    try:
        sim, server, sim_url, rest = start(server_bin, sim_bin, tmp)
        replay_legacy(seeds, rest, sim_url)
        replay_upstreams(seeds, sim_url)
        replay_compat(seeds, rest)
    finally:
        for p in (server, sim):
            if p is not None:
                p.terminate()
                p.wait(timeout=20)
    if failures:
        print("%d failed; logs in %s" % (len(failures), tmp))
        return 1
    subprocess.run(["rm", "-rf", tmp])
    return 0


if __name__ == "__main__":
    sys.exit(main())
