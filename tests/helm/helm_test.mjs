// Checks helm/mediagw offline: lint and render with the real helm, validate
// every rendered object with kubernetes-models, hold the chart to the issue's
// rules (one writer on the SQLite volume, hardening, probes, secrets only by
// reference), and load the rendered configuration into the mediagw binary:
// --check_config, then a real start with the probe paths and a SIGTERM.
//
//   node helm_test.mjs <helm> <mediagw> <repo root>
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";

const [helm, mediagw, repo] = process.argv.slice(2);
assert.ok(helm && mediagw && repo, "usage: helm_test.mjs <helm> <mediagw> <repo>");
const chart = path.join(repo, "helm/mediagw");
const valuesDir = path.join(repo, "tests/helm/values");
// The image's Dockerfile copies config/ to this folder (checked by the
// Dockerfile test); the repo's own copy stands in for it here.
const kImageAssets = "/usr/share/mediagw/";
const repoAssets = path.join(repo, "config") + "/";

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60000, ...opts });
  if (r.error) throw r.error;
  return r;
}

function helmRun(args) {
  return run(helm, args);
}

function render(valuesFiles = [], extra = []) {
  const args = ["template", "rel", chart, "--namespace", "media"];
  for (const f of valuesFiles) args.push("-f", path.resolve(valuesDir, f));
  const r = helmRun([...args, ...extra]);
  assert.equal(r.status, 0, `helm template failed:\n${r.stderr}`);
  return YAML.parseAllDocuments(r.stdout)
    .map((d) => d.toJS())
    .filter((o) => o !== null);
}

// apiVersion -> the module of kubernetes-models that holds its classes.
function modelModule(apiVersion) {
  if (apiVersion === "monitoring.coreos.com/v1") {
    return "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
  }
  return `kubernetes-models/${apiVersion}`;
}

async function validateAll(objects) {
  for (const obj of objects) {
    const where = `${obj.kind}/${obj.metadata?.name}`;
    let mod;
    try {
      mod = await import(modelModule(obj.apiVersion));
    } catch (e) {
      assert.fail(`${where}: no schema for ${obj.apiVersion}: ${e.message}`);
    }
    const Model = mod[obj.kind];
    assert.ok(Model, `${where}: no schema for ${obj.apiVersion} ${obj.kind}`);
    try {
      new Model(obj).validate();
    } catch (e) {
      assert.fail(`${where} is not a valid ${obj.kind}: ${e.message}`);
    }
  }
}

function byKind(objects, kind) {
  return objects.filter((o) => o.kind === kind);
}

function one(objects, kind) {
  const found = byKind(objects, kind);
  assert.equal(found.length, 1, `expected one ${kind}, got ${found.length}`);
  return found[0];
}

// The rendered ConfigMap written out as /etc/mediagw would hold it, with the
// image's asset folder mapped to the repo's config/.
function writeConfigDir(objects, dir) {
  const cm = one(objects, "ConfigMap");
  assert.ok(cm.data["mediagw.json"], "ConfigMap has no mediagw.json");
  for (const [name, text] of Object.entries(cm.data)) {
    fs.writeFileSync(path.join(dir, name), text.replaceAll(kImageAssets, repoAssets));
  }
  return JSON.parse(fs.readFileSync(path.join(dir, "mediagw.json"), "utf8"));
}

function checkConfig(dir, env = {}) {
  return run(mediagw, [`--config=${path.join(dir, "mediagw.json")}`, "--check_config"], {
    env: { PATH: process.env.PATH, ...env },
  });
}

function tmpDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), "mediagw-helm-"));
}

function podSpec(objects) {
  return one(objects, "StatefulSet").spec.template.spec;
}

function container(objects) {
  const spec = podSpec(objects);
  assert.equal(spec.containers.length, 1);
  return spec.containers[0];
}

function portOf(listen) {
  return Number(listen.slice(listen.lastIndexOf(":") + 1));
}

// Every secret the configuration names comes from a Secret reference.
function assertSecretsByReference(objects, cfg) {
  const env = container(objects).env ?? [];
  const vars = new Set();
  for (const k of cfg.api_keys ?? []) if (k.key_env) vars.add(k.key_env);
  for (const ch of cfg.channels ?? []) {
    if (ch.api_key_env) vars.add(ch.api_key_env);
    if (ch.webhook_secret_env) vars.add(ch.webhook_secret_env);
  }
  if (cfg.accounts?.admin_key_env) vars.add(cfg.accounts.admin_key_env);
  for (const v of vars) {
    const e = env.find((x) => x.name === v);
    assert.ok(e, `${v} (named by the config) is not in the container's env`);
    assert.equal(e.value, undefined, `${v} has a plain-text value`);
    assert.ok(e.valueFrom?.secretKeyRef?.name, `${v} is not a Secret reference`);
  }
  for (const e of env) {
    assert.ok(!/KEY|SECRET|TOKEN|PASSWORD/.test(e.name) || e.valueFrom,
              `${e.name} looks like a secret but has a plain value`);
  }
}

function assertWorkload(objects, cfg) {
  const sts = one(objects, "StatefulSet");
  assert.equal(byKind(objects, "Deployment").length, 0);
  assert.equal(sts.spec.replicas, 1, "SQLite runs one replica");
  assert.equal(sts.spec.podManagementPolicy, "OrderedReady");
  assert.equal(sts.spec.updateStrategy.type, "RollingUpdate");
  const headless = byKind(objects, "Service").find((s) => s.spec.clusterIP === "None");
  assert.ok(headless, "no headless Service");
  assert.equal(sts.spec.serviceName, headless.metadata.name);

  const spec = podSpec(objects);
  const c = container(objects);
  // The data volume: a ReadWriteOnce(Pod) claim mounted at data_dir.
  const data = spec.volumes.find((v) => v.name === "data");
  const claimName = data.persistentVolumeClaim.claimName;
  const pvc = byKind(objects, "PersistentVolumeClaim").find((p) => p.metadata.name === claimName);
  assert.ok(pvc, `the chart renders no claim ${claimName}`);
  assert.equal(pvc.spec.accessModes.length, 1);
  assert.match(pvc.spec.accessModes[0], /^ReadWriteOnce(Pod)?$/);
  assert.equal(pvc.metadata.annotations["helm.sh/resource-policy"], "keep");
  const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.name, m]));
  assert.equal(mounts.data.mountPath, cfg.storage.data_dir);
  assert.ok(!mounts.data.readOnly);
  // /tmp writable on a read-only root.
  assert.equal(mounts.tmp.mountPath, "/tmp");
  assert.ok(spec.volumes.find((v) => v.name === "tmp").emptyDir);
  assert.equal(mounts.config.mountPath, "/etc/mediagw");
  assert.ok(mounts.config.readOnly);
  assert.ok(c.args.includes("--config=/etc/mediagw/mediagw.json"));

  // Hardening.
  assert.equal(spec.automountServiceAccountToken, false);
  assert.equal(spec.securityContext.runAsNonRoot, true);
  assert.ok(spec.securityContext.runAsUser > 0);
  assert.equal(spec.securityContext.seccompProfile.type, "RuntimeDefault");
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
  assert.equal(c.securityContext.seccompProfile.type, "RuntimeDefault");
  for (const what of ["requests", "limits"]) {
    assert.ok(c.resources[what]?.memory, `resources.${what}.memory`);
  }
  assert.ok(c.resources.requests.cpu);
  const sa = one(objects, "ServiceAccount");
  assert.equal(sa.automountServiceAccountToken, false);
  assert.equal(spec.serviceAccountName, sa.metadata.name);

  // Ports: the container, the Service and the config agree.
  const ports = Object.fromEntries(c.ports.map((p) => [p.name, p.containerPort]));
  assert.equal(ports.grpc, portOf(cfg.server.grpc_listen));
  assert.equal(ports.http, portOf(cfg.server.http_listen));
  for (const svc of byKind(objects, "Service")) {
    const sp = Object.fromEntries(svc.spec.ports.map((p) => [p.name, p]));
    assert.equal(sp.grpc.appProtocol, "grpc", `${svc.metadata.name}: grpc appProtocol`);
    assert.equal(sp.grpc.targetPort, "grpc");
    assert.equal(sp.http.targetPort, "http");
  }

  // Probes on the http port; liveness on /healthz, which stays up while the
  // store waits on its disk; the startup probe allows a long recovery.
  for (const p of ["startupProbe", "livenessProbe", "readinessProbe"]) {
    assert.equal(c[p].httpGet.port, "http", `${p} port`);
  }
  assert.equal(c.livenessProbe.httpGet.path, "/healthz");
  assert.equal(c.startupProbe.httpGet.path, "/healthz");
  assert.equal(c.readinessProbe.httpGet.path, "/readyz");
  assert.ok(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold >= 600,
            "the startup probe allows at least 10 minutes of recovery");

  // Shutdown: the preStop sleep and the server's drain fit in the grace.
  const sleep = Number(c.lifecycle.preStop.exec.command.at(-1));
  assert.ok(sleep >= 1);
  assert.ok(spec.terminationGracePeriodSeconds >= sleep + 10,
            "grace covers the preStop sleep plus the drain");

  // A changed config rolls the pod.
  assert.match(sts.spec.template.metadata.annotations["checksum/config"], /^[0-9a-f]{64}$/);
  // One SQLite writer: never an autoscaler or a disruption budget.
  assert.equal(byKind(objects, "HorizontalPodAutoscaler").length, 0);
  assert.equal(byKind(objects, "PodDisruptionBudget").length, 0);
}

function httpGet(port, pathName, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: pathName, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${pathName} timed out`)));
    req.on("error", reject);
  });
}

async function waitFor(what, fn, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("helm lint passes with the default and the full values", () => {
  for (const extra of [[], ["-f", path.join(valuesDir, "full.yaml")]]) {
    const r = helmRun(["lint", "--strict", chart, ...extra]);
    assert.equal(r.status, 0, `helm lint ${extra.join(" ")}:\n${r.stdout}${r.stderr}`);
  }
});

test("default values: valid objects, only the required ones", async () => {
  const objects = render();
  await validateAll(objects);
  const kinds = objects.map((o) => o.kind).sort();
  assert.deepEqual(kinds, ["ConfigMap", "PersistentVolumeClaim", "Service", "Service",
                           "ServiceAccount", "StatefulSet"]);
  const dir = tmpDir();
  try {
    const cfg = writeConfigDir(objects, dir);
    assertWorkload(objects, cfg);
    assertSecretsByReference(objects, cfg);
    assert.match(cfg.server.public_base_url, /^http:\/\/rel-mediagw\.media\.svc\.cluster\.local:8080$/);
    // The admin key: named by the config, from the keys Secret, optional so
    // that a Secret without it still starts (the admin service then
    // refuses every call).
    assert.equal(cfg.accounts?.admin_key_env, "MEDIAGW_ADMIN_KEY");
    const admin = container(objects).env.find((e) => e.name === "MEDIAGW_ADMIN_KEY");
    assert.deepEqual(admin?.valueFrom?.secretKeyRef,
                     { name: "mediagw-keys", key: "admin", optional: true });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("full values: every optional object, all valid", async () => {
  const objects = render(["full.yaml"]);
  await validateAll(objects);
  for (const kind of ["Ingress", "NetworkPolicy", "ServiceMonitor"]) one(objects, kind);
  const dir = tmpDir();
  try {
    const cfg = writeConfigDir(objects, dir);
    assertWorkload(objects, cfg);
    assertSecretsByReference(objects, cfg);
    assert.equal(cfg.server.public_base_url, "https://media.example.com");
    const ing = one(objects, "Ingress");
    const backends = ing.spec.rules.flatMap((r) => r.http.paths.map((p) => p.backend.service.port.name));
    assert.deepEqual(backends.sort(), ["grpc", "http"]);
    const np = one(objects, "NetworkPolicy");
    assert.deepEqual(np.spec.policyTypes, ["Ingress", "Egress"]);
    const sm = one(objects, "ServiceMonitor");
    assert.equal(sm.spec.endpoints[0].path, "/metrics");
    // The monitor selects the client Service only, not the headless one.
    const selected = byKind(objects, "Service").filter((s) =>
      Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels[k] === v));
    assert.equal(selected.length, 1);
    assert.notEqual(selected[0].spec.clusterIP, "None");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the binary accepts the rendered configuration (--check_config)", () => {
  for (const values of [[], ["full.yaml"]]) {
    const dir = tmpDir();
    try {
      writeConfigDir(render(values), dir);
      const r = checkConfig(dir);
      assert.equal(r.status, 0, `--check_config on ${values[0] ?? "defaults"}:\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /config OK/);
      assert.match(r.stdout, /MEDIAGW_BACKEND_KEY/, "an unset key is noted");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

test("the README's install values render and pass --check_config", async () => {
  const readme = fs.readFileSync(path.join(repo, "README.md"), "utf8");
  const m = readme.match(/cat > my-values\.yaml <<'EOF'\n([\s\S]*?)\nEOF\n/);
  assert.ok(m, "README.md has no my-values.yaml block");
  const dir = tmpDir();
  try {
    const values = path.join(dir, "my-values.yaml");
    fs.writeFileSync(values, m[1]);
    const objects = render([values]);
    await validateAll(objects);
    const cfgDir = path.join(dir, "etc");
    fs.mkdirSync(cfgDir);
    const cfg = writeConfigDir(objects, cfgDir);
    assertWorkload(objects, cfg);
    assert.equal(container(objects).image, "registry.example.com/mediagw:0.1.0");
    const r = checkConfig(cfgDir);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the binary refuses a rendered configuration that cannot run", () => {
  const dir = tmpDir();
  try {
    writeConfigDir(render(["bad-config.yaml"]), dir);
    const r = checkConfig(dir);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /workflows\[0\]\.channels\[0\]: unknown channel 'comfy-b'/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("SQLite with 2 replicas fails at lint and install with the reason", () => {
  const bad = path.join(valuesDir, "bad-sqlite-replicas.yaml");
  for (const args of [["lint", chart, "-f", bad], ["template", "rel", chart, "-f", bad]]) {
    const r = helmRun(args);
    assert.notEqual(r.status, 0, `helm ${args[0]} took 2 SQLite replicas`);
    assert.match(r.stdout + r.stderr, /replicaCount: Must be less than or equal to 1/);
  }
  // Without the schema the template still refuses, in words.
  const r = helmRun(["template", "rel", chart, "-f", bad, "--skip-schema-validation"]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /replicaCount is 2, but store.type sqlite runs exactly one replica/);
  for (const set of ["autoscaling.enabled=true", "podDisruptionBudget.enabled=true",
                     "persistence.accessMode=ReadWriteMany", "config.server.grpc_listen=0.0.0.0:1",
                     "securityContext.readOnlyRootFilesystem=false"]) {
    const s = helmRun(["template", "rel", chart, "--set", set]);
    assert.notEqual(s.status, 0, `helm template took --set ${set}`);
  }
});

test("the binary starts on the rendered config: probes answer, SIGTERM ends it in the grace", async () => {
  const objects = render();
  const dir = tmpDir();
  let child;
  try {
    const cfg = writeConfigDir(objects, dir);
    const c = container(objects);
    // Only what cannot hold on a test machine changes: where it listens and
    // stores; the rest is the rendered file.
    cfg.server.grpc_listen = "127.0.0.1:0";
    cfg.server.http_listen = "127.0.0.1:0";
    cfg.server.ports_file = path.join(dir, "ports.json");
    cfg.storage.data_dir = path.join(dir, "data");
    fs.writeFileSync(path.join(dir, "mediagw.json"), JSON.stringify(cfg));
    const env = { PATH: process.env.PATH, TMPDIR: dir };
    for (const e of c.env) if (e.valueFrom?.secretKeyRef) env[e.name] = `test-${e.name}`;
    let log = "";
    child = spawn(mediagw, c.args.map((a) => a.startsWith("--config=")
      ? `--config=${path.join(dir, "mediagw.json")}` : a), { env });
    child.stdout.on("data", (d) => { log += d; });
    child.stderr.on("data", (d) => { log += d; });
    const exited = new Promise((resolve) => child.on("exit", (code, sig) => resolve({ code, sig })));
    const ports = await waitFor("the ports file", () => {
      if (child.exitCode !== null) assert.fail(`mediagw exited ${child.exitCode}:\n${log}`);
      const f = cfg.server.ports_file;
      return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")) : null;
    }, 30000);
    for (const p of ["startupProbe", "livenessProbe", "readinessProbe"]) {
      const status = await httpGet(ports.http, c[p].httpGet.path, c[p].timeoutSeconds * 1000);
      assert.equal(status, 200, `${p} ${c[p].httpGet.path}`);
    }
    const graceMs = (podSpec(objects).terminationGracePeriodSeconds -
                     Number(c.lifecycle.preStop.exec.command.at(-1))) * 1000;
    child.kill("SIGTERM");
    let timer;
    const late = new Promise((resolve) => { timer = setTimeout(() => resolve(null), graceMs); });
    const end = await Promise.race([exited, late]);
    clearTimeout(timer);
    assert.ok(end, `mediagw still running ${graceMs} ms after SIGTERM:\n${log}`);
    assert.equal(end.code, 0, `exit after SIGTERM:\n${log}`);
    child = null;
  } finally {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
