"""Hostile HTTP clients against a real mediagw wired to the simulator: idle
and trickling connections, unauthenticated 8 MB uploads and slow readers,
with authenticated submits timed alongside. Shared by the integration test
(hostile_clients_test.py) and the benchmark (bench/slow_clients.py).
"""
import http.client
import json
import os
import resource
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
KEY = "sk-hostile-clients"
UPLOAD_BYTES = 8 << 20
SUBMIT_PATH = "/v1/index.php?endpoint=image_generation"


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def wait_file(path, seconds=30):
    end = time.time() + seconds
    while time.time() < end:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path) as f:
                return json.load(f)
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + path)


class Stack:
    """mediagw-sim and mediagw in a temp folder; `server` overrides fields
    of the config's "server" object (e.g. max_http_connections).
    `server_args` are extra flags for mediagw; with `split_stderr` its
    stderr (the log) goes to mediagw.log alone and stdout to mediagw.out."""

    def __init__(self, server_bin, sim_bin, server=None, tmp=None,
                 server_args=(), split_stderr=False):
        self.tmp = tmp or tempfile.mkdtemp(prefix="mediagw-hostile-")
        self.sim = subprocess.Popen(
            [sim_bin, "--port", "0", "--ports_file", self.tmp + "/sim.ports",
             "--step_ms", "5"],
            stdout=open(self.tmp + "/sim.log", "w"), stderr=subprocess.STDOUT)
        sim_url = "http://127.0.0.1:%d" % wait_file(
            self.tmp + "/sim.ports")["port"]
        env = dict(os.environ, HOSTILE_KEY=KEY)
        exports = subprocess.run(
            [sys.executable, ROOT + "/scripts/sim_config.py", "--sim", sim_url,
             "--data", self.tmp + "/data", "--out", self.tmp + "/mediagw.json",
             "--ports-file", self.tmp + "/mediagw.ports", "--key-env",
             "HOSTILE_KEY", "--poll-ms", "50", "--print-env"],
            capture_output=True, text=True, check=True).stdout
        for line in exports.splitlines():
            k, v = line[len("export "):].split("=", 1)
            env[k] = v
        with open(self.tmp + "/mediagw.json") as f:
            cfg = json.load(f)
        cfg["server"].update(server or {})
        with open(self.tmp + "/mediagw.json", "w") as f:
            json.dump(cfg, f)
        self.blob_dir = self.tmp + "/data/uploads"
        log = open(self.tmp + "/mediagw.log", "w")
        self.proc = subprocess.Popen(
            [server_bin, "--config=" + self.tmp + "/mediagw.json"] +
            list(server_args), env=env,
            stdout=open(self.tmp + "/mediagw.out", "w") if split_stderr
            else log,
            stderr=log if split_stderr else subprocess.STDOUT)
        self.port = wait_file(self.tmp + "/mediagw.ports")["http"]

    def fd_count(self):
        try:
            return len(os.listdir("/proc/%d/fd" % self.proc.pid))
        except OSError:
            return -1

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def stop(self):
        for p in (self.proc, self.sim):
            p.terminate()
        for p in (self.proc, self.sim):
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def submit(port, timeout=30.0, conn=None):
    """One authenticated image submit; (HTTP status, seconds)."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    body = json.dumps({"prompt": "a lighthouse at dusk", "workflow": "default"})
    start = time.monotonic()
    try:
        conn.request("POST", SUBMIT_PATH, body,
                     {"x-api-key": KEY, "Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        status = resp.status
        if status == 200 and not json.loads(data).get("success"):
            status = -2
    except (OSError, http.client.HTTPException):
        status = -1
    elapsed = time.monotonic() - start
    if own:
        conn.close()
    return status, elapsed


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


class Attack(threading.Thread):
    """Keeps `idle` connections open (half silent, half trickling a header
    byte a second; reopened when the server cuts them) and `uploads`
    unauthenticated 8 MB uploads going (one at a time per slot, half with
    Expect: 100-continue), until stop()."""

    def __init__(self, port, idle, uploads, upload_pause=0.2):
        super().__init__(daemon=True)
        self.port = port
        self.idle = idle
        self.uploads = uploads
        self.upload_pause = upload_pause
        self.sel = selectors.DefaultSelector()
        self.stopping = threading.Event()
        self.ready = threading.Event()
        self.lock = threading.Lock()
        self.held = 0            # attack connections open now
        self.cut = 0             # idle/trickling connections the server closed
        self.refused = 0         # connects refused or answered 503
        self.upload_answers = {}  # status -> count
        self.upload_latency = []  # seconds from headers sent to the answer
        self.upload_body_sent = []  # body bytes sent before the answer

    def stop(self):
        self.stopping.set()
        self.join(30)

    def _connect(self):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", self.port))
        except BlockingIOError:
            pass
        return s

    def _open_idle(self, i):
        s = self._connect()
        st = {"kind": "idle", "trickle": i % 2 == 1, "i": i,
              "pending": b"POST " + SUBMIT_PATH.encode() +
                         b" HTTP/1.1\r\nHost: x\r\nX-Slow: "}
        self.sel.register(s, selectors.EVENT_READ, st)
        self.held += 1
        return s

    def _open_upload(self, i):
        s = self._connect()
        expect = i % 2 == 0
        head = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                "\r\nContent-Length: %d\r\n%s\r\n" %
                (SUBMIT_PATH, UPLOAD_BYTES,
                 "Expect: 100-continue\r\n" if expect else ""))
        st = {"kind": "upload", "i": i, "head": head.encode(), "expect": expect,
              "sent_head": False, "body_sent": 0, "answer": b"",
              "t0": None}
        self.sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, st)
        self.held += 1
        return s

    def _close(self, s):
        try:
            self.sel.unregister(s)
        except (KeyError, ValueError):
            pass
        s.close()
        self.held -= 1

    def run(self):
        raise_fd_limit()
        chunk = b"x" * 65536
        for i in range(self.idle):
            self._open_idle(i)
        for i in range(self.uploads):
            self._open_upload(i)
        self.ready.set()
        next_trickle = time.monotonic() + 1.0
        reopen_uploads = []  # (time, i)
        while not self.stopping.is_set():
            now = time.monotonic()
            if now >= next_trickle:
                next_trickle = now + 1.0
                for key in list(self.sel.get_map().values()):
                    st = key.data
                    if st["kind"] == "idle" and st["trickle"]:
                        try:
                            key.fileobj.send(st["pending"][:1] or b"x")
                            st["pending"] = st["pending"][1:]
                        except OSError:
                            pass
            while reopen_uploads and reopen_uploads[0][0] <= now:
                self._open_upload(reopen_uploads.pop(0)[1])
            for key, events in self.sel.select(timeout=0.05):
                s, st = key.fileobj, key.data
                if st["kind"] == "idle":
                    try:
                        data = s.recv(4096)
                    except OSError:
                        data = b""
                    if data.startswith(b"HTTP/1.1 503"):
                        self.refused += 1
                    else:
                        self.cut += 1
                    self._close(s)
                    self._open_idle(st["i"])
                    continue
                # An upload.
                if events & selectors.EVENT_READ:
                    try:
                        data = s.recv(65536)
                    except OSError:
                        data = b""
                    st["answer"] += data
                    if data and b"\r\n\r\n" not in st["answer"]:
                        continue
                    self._upload_done(s, st, reopen_uploads)
                    continue
                if events & selectors.EVENT_WRITE:
                    try:
                        if not st["sent_head"]:
                            s.send(st["head"])
                            st["sent_head"] = True
                            st["t0"] = time.monotonic()
                            if st["expect"]:
                                self.sel.modify(s, selectors.EVENT_READ, st)
                        elif st["body_sent"] < UPLOAD_BYTES:
                            st["body_sent"] += s.send(chunk)
                        else:
                            self.sel.modify(s, selectors.EVENT_READ, st)
                    except OSError:
                        self._upload_done(s, st, reopen_uploads)
        for key in list(self.sel.get_map().values()):
            self._close(key.fileobj)

    def _upload_done(self, s, st, reopen):
        line = st["answer"].split(b"\r\n", 1)[0]
        parts = line.split()
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        if status == 503:
            self.refused += 1
        with self.lock:
            self.upload_answers[status] = self.upload_answers.get(status, 0) + 1
            if st["t0"] is not None and status:
                self.upload_latency.append(time.monotonic() - st["t0"])
                self.upload_body_sent.append(st["body_sent"])
        self._close(s)
        reopen.append((time.monotonic() + self.upload_pause, st["i"]))


class SlowReaders(threading.Thread):
    """`n` connections reading `path` `per_tick` bytes every `tick` seconds;
    each starts over when its copy is complete."""

    def __init__(self, port, path, n, per_tick=16384, tick=0.1):
        super().__init__(daemon=True)
        self.port, self.path, self.n = port, path, n
        self.per_tick, self.tick = per_tick, tick
        self.stopping = threading.Event()
        self.ready = threading.Event()
        self.bytes = 0
        self.errors = 0
        self.completed = 0
        self.open = 0

    def _open(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % self.path).encode())
        s.setblocking(False)
        return [s, 0, None]  # socket, bytes read, total expected

    def stop(self):
        self.stopping.set()
        self.join(30)

    def run(self):
        raise_fd_limit()
        conns = [self._open() for _ in range(self.n)]
        self.open = len(conns)
        self.ready.set()
        while not self.stopping.is_set():
            t0 = time.monotonic()
            for c in conns:
                try:
                    data = c[0].recv(self.per_tick)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    self.errors += 1
                    c[0].close()
                    c[:] = self._open()
                    continue
                c[1] += len(data)
                self.bytes += len(data)
                if c[2] is None and b"\r\n\r\n" in data:
                    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
                    for line in head.split("\r\n"):
                        if line.lower().startswith("content-length:"):
                            c[2] = int(line.split(":")[1]) + len(head) + 4
                if c[2] is not None and c[1] >= c[2]:
                    self.completed += 1
                    c[0].close()
                    c[:] = self._open()
            time.sleep(max(0.0, self.tick - (time.monotonic() - t0)))
        for c in conns:
            c[0].close()


def fetch(port, path, timeout=60):
    """GET `path`; (status, body length, seconds)."""
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path)
    resp = conn.getresponse()
    n = len(resp.read())
    conn.close()
    return resp.status, n, time.monotonic() - start


class CallbackFlood(threading.Thread):
    """`conns` keep-alive connections POSTing completion notices for task
    ids that do not exist, as fast as the server answers; counts answers
    by status."""

    def __init__(self, port, conns=8):
        super().__init__(daemon=True)
        self.port, self.conns = port, conns
        self.stopping = threading.Event()
        self.answers = {}
        self.lock = threading.Lock()

    def stop(self):
        self.stopping.set()
        self.join(30)

    def _one(self, i):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        n = 0
        while not self.stopping.is_set():
            n += 1
            status = -1
            try:
                conn.request("POST", "/v1/callbacks/forged-%d-%d" % (i, n),
                             '{"code":200,"data":{"taskId":"x"}}',
                             {"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                  timeout=10)
            with self.lock:
                self.answers[status] = self.answers.get(status, 0) + 1
        conn.close()

    def run(self):
        workers = [threading.Thread(target=self._one, args=(i,), daemon=True)
                   for i in range(self.conns)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()


def run_tasks(port, n, timeout=120.0):
    """Submits `n` image tasks at once and polls each to its end; returns
    (seconds from submit to the end of each, final legacy states)."""
    started, ids = [], []
    for _ in range(n):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        body = json.dumps({"prompt": "a lighthouse at dusk", "steps": 4,
                           "width": 64, "height": 64})
        started.append(time.monotonic())
        conn.request("POST", SUBMIT_PATH, body,
                     {"x-api-key": KEY, "Content-Type": "application/json"})
        ids.append(json.loads(conn.getresponse().read())["data"]["id"])
        conn.close()
    took, states = [None] * n, [None] * n
    deadline = time.monotonic() + timeout
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.monotonic() < deadline and None in states:
        for i, task_id in enumerate(ids):
            if states[i] is not None:
                continue
            conn.request("GET", "/v1/index.php?endpoint=task_status&task_id=" +
                         task_id, headers={"x-api-key": KEY})
            data = json.loads(conn.getresponse().read())["data"]
            if data["status"] in ("completed", "failed", "cancelled"):
                took[i] = time.monotonic() - started[i]
                states[i] = data["status"]
        time.sleep(0.02)
    conn.close()
    return [t for t in took if t is not None], states
