// Offline checks of the rendered Kubernetes manifests:
//  - render: each overlay through `kubectl kustomize` (or `kustomize build`);
//  - schema: every object against the Kubernetes API schemas shipped by the maintained
//    npm package kubernetes-models (and its cert-manager / prometheus-operator models):
//    types, required fields, enums and formats through the package's own validators, and
//    unknown fields through TypeScript's excess-property check against the package's
//    typed interfaces (the package's validators let unknown fields through);
//  - security: the restricted Pod Security rules bdtx promises for every workload.
import { execFileSync, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

// The npm dependencies, with a clear error when `npm ci` was not run.
function dependency(name) {
  try {
    return require(name);
  } catch (e) {
    throw new Error(`k8s/check needs its npm packages: run \`npm ci --prefix k8s/check\` ` +
      `(deploy/test.sh does) — ${e.message.split("\n")[0]}`);
  }
}
export const YAML = dependency("yaml");
export const here = path.dirname(fileURLToPath(import.meta.url));
export const k8sDir = path.resolve(here, "..");

function onPath(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).status === 0;
}

// The command that renders a kustomization directory: BDTX_KUSTOMIZE (e.g. "kustomize
// build"), else kubectl's built-in kustomize, else a standalone kustomize. Throws a clear
// error naming what to install when none exists.
export function renderer() {
  if (process.env.BDTX_KUSTOMIZE) {
    const [cmd, ...args] = process.env.BDTX_KUSTOMIZE.split(/\s+/);
    return { cmd, args };
  }
  if (onPath("kubectl")) return { cmd: "kubectl", args: ["kustomize"] };
  if (onPath("kustomize")) return { cmd: "kustomize", args: ["build"] };
  throw new Error(
    "neither kubectl nor kustomize is on PATH: install Debian's kubernetes-client " +
      "(deploy/setup-debian.sh does when no kubectl is present) or set BDTX_KUSTOMIZE");
}

export function render(dir) {
  const { cmd, args } = renderer();
  const out = execFileSync(cmd, [...args, dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return YAML.parseAllDocuments(out).map((d) => {
    if (d.errors.length) throw new Error(`${dir}: ${d.errors[0].message}`);
    return d.toJSON();
  }).filter((o) => o !== null);
}

// apiVersion + kind -> [module specifier, interface name] of the model.
function modelOf(obj) {
  const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
  const kind = obj.kind;
  let pkg;
  if (group.endsWith("cert-manager.io")) pkg = "@kubernetes-models/cert-manager";
  else if (group === "monitoring.coreos.com") pkg = "@kubernetes-models/prometheus-operator";
  else pkg = "kubernetes-models";
  const spec = group ? `${pkg}/${group}/${version}/${kind}` : `${pkg}/${version}/${kind}`;
  return [spec, `I${kind}`, kind];
}

export function name(obj) {
  return `${obj.kind}/${obj.metadata?.namespace ? obj.metadata.namespace + "/" : ""}${obj.metadata?.name}`;
}

// Returns a list of problems ("Kind/ns/name: what") for `objects`; empty when all valid.
export function schemaProblems(objects) {
  const problems = [];
  // Values: the package's validators.
  for (const obj of objects) {
    const [spec, , kind] = modelOf(obj);
    let Model;
    try {
      Model = require(spec)[kind];
    } catch {
      problems.push(`${name(obj)}: no schema for ${obj.apiVersion} ${kind} in the models`);
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (e) {
      problems.push(`${name(obj)}: ${e.message.split("\n").slice(0, 6).join("; ")}`);
    }
  }
  // Unknown fields: each object as a literal of its typed interface.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bdtx-k8s-"));
  const file = path.join(dir, "objects.ts");
  const lines = [];
  const owner = [];  // line index -> object
  objects.forEach((obj, i) => {
    const [spec, iface] = modelOf(obj);
    const text = `import type { ${iface} as T${i} } from ${JSON.stringify(spec)};\n` +
      `export const o${i}: T${i} = ${JSON.stringify(obj, null, 1)};\n`;
    for (const l of text.split("\n")) { lines.push(l); owner.push(obj); }
  });
  fs.writeFileSync(file, lines.join("\n"));
  const ts = dependency("typescript");
  const program = ts.createProgram([file], {
    strict: true, noEmit: true, module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true,
    baseUrl: here, typeRoots: [], types: [],
    paths: { "*": [path.join(here, "node_modules", "*")] },
  });
  for (const d of ts.getPreEmitDiagnostics(program)) {
    if (!d.file || path.resolve(d.file.fileName) !== file) {
      problems.push(`typescript: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
      continue;
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    problems.push(`${name(owner[line])}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")} ` +
      `(near: ${lines[line].trim()})`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return problems;
}

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"]);

function podSpecOf(obj) {
  if (obj.kind === "Pod") return obj.spec;
  if (obj.kind === "CronJob") return obj.spec?.jobTemplate?.spec?.template?.spec;
  return obj.spec?.template?.spec;
}

// The restricted Pod Security rules plus bdtx's own: a list of problems.
export function securityProblems(objects, { minStartupSeconds = 140 } = {}) {
  const problems = [];
  const workloads = objects.filter((o) => WORKLOADS.has(o.kind));
  for (const w of workloads) {
    const bad = (what) => problems.push(`${name(w)}: ${what}`);
    const pod = podSpecOf(w);
    if (!pod) { bad("no pod template"); continue; }
    const psc = pod.securityContext ?? {};
    if (pod.automountServiceAccountToken !== false) bad("mounts a service-account token (automountServiceAccountToken is not false)");
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) bad("uses the host's network, PID or IPC namespace");
    for (const v of pod.volumes ?? []) if (v.hostPath) bad(`volume ${v.name} is a hostPath`);
    const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
    const claims = new Set((w.spec?.volumeClaimTemplates ?? []).map((c) => c.metadata.name));
    for (const c of containers) {
      const sc = c.securityContext ?? {};
      const where = `container ${c.name}`;
      const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
      if (nonRoot !== true) bad(`${where} may run as root (runAsNonRoot is not true)`);
      const uid = sc.runAsUser ?? psc.runAsUser;
      if (uid === 0) bad(`${where} runs as user 0`);
      if (sc.privileged) bad(`${where} is privileged`);
      if (sc.allowPrivilegeEscalation !== false) bad(`${where} allows privilege escalation`);
      if (sc.readOnlyRootFilesystem !== true) bad(`${where} has a writable root filesystem`);
      const drop = sc.capabilities?.drop ?? [];
      if (!drop.includes("ALL")) bad(`${where} does not drop ALL capabilities`);
      if ((sc.capabilities?.add ?? []).length) bad(`${where} adds capabilities`);
      const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
      if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") bad(`${where} has no RuntimeDefault seccomp profile`);
      const mounts = c.volumeMounts ?? [];
      const tmp = mounts.find((m) => m.mountPath === "/tmp");
      const tmpVol = tmp && (pod.volumes ?? []).find((v) => v.name === tmp.name);
      if (!tmpVol?.emptyDir) bad(`${where} has no emptyDir on /tmp`);
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) bad(`${where} has no CPU and memory requests`);
      if (!c.resources?.limits?.memory) bad(`${where} has no memory limit`);
      if (pod.initContainers?.includes(c)) continue;
      if (w.kind !== "CronJob" && w.kind !== "Job") {
        if (!c.readinessProbe) bad(`${where} has no readiness probe`);
        if (!c.livenessProbe) bad(`${where} has no liveness probe`);
      }
      if (w.kind === "StatefulSet") {
        // Data lives on the claim, mounted where --data_dir points.
        const dataArg = (c.args ?? []).find((a) => a.startsWith("--data_dir="));
        const dataDir = dataArg?.slice("--data_dir=".length);
        const dataMount = mounts.find((m) => claims.has(m.name));
        if (!dataDir || !dataMount || !(dataDir === dataMount.mountPath || dataDir.startsWith(dataMount.mountPath + "/"))) {
          bad(`${where}: --data_dir is not on the StatefulSet's volume claim`);
        }
        const sp = c.startupProbe;
        if (!sp) bad(`${where} has no startup probe (recovery of a large store takes time)`);
        else {
          const seconds = (sp.periodSeconds ?? 10) * (sp.failureThreshold ?? 3) + (sp.initialDelaySeconds ?? 0);
          if (seconds < minStartupSeconds) bad(`${where}'s startup probe allows ${seconds} s, less than ${minStartupSeconds} s`);
        }
        for (const p of ["startupProbe", "readinessProbe", "livenessProbe"]) {
          if (c[p] && !c[p].grpc) bad(`${where}'s ${p} is not a gRPC health probe`);
        }
      }
    }
  }
  const policies = objects.filter((o) => o.kind === "NetworkPolicy");
  const deny = policies.find((p) => Object.keys(p.spec.podSelector ?? {}).length === 0 &&
    (p.spec.policyTypes ?? []).includes("Ingress") && (p.spec.policyTypes ?? []).includes("Egress") &&
    !p.spec.ingress && !p.spec.egress);
  if (workloads.length && !deny) problems.push("no default-deny NetworkPolicy (all pods, Ingress and Egress)");
  const ns = objects.find((o) => o.kind === "Namespace");
  if (workloads.length && ns?.metadata?.labels?.["pod-security.kubernetes.io/enforce"] !== "restricted") {
    problems.push("the namespace does not enforce the restricted Pod Security Standard");
  }
  return problems;
}
