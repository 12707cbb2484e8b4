// ctest k8s_manifests: each overlay renders, every object is valid against the Kubernetes
// API schemas (unknown fields included), and every workload keeps the security rules.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { k8sDir, name, render, schemaProblems, securityProblems } from "./lib.mjs";

const overlays = ["local", "production"];
const rendered = {};
for (const o of overlays) rendered[o] = () => (rendered[o].v ??= render(path.join(k8sDir, "overlays", o)));

for (const o of overlays) {
  test(`overlay ${o} renders every bdtx workload`, () => {
    const objs = rendered[o]();
    const names = new Set(objs.map(name));
    for (const s of ["directory", "plans", "approvals", "grading", "notifications", "support"]) {
      assert.ok(names.has(`StatefulSet/bdtx/${s}`), `StatefulSet ${s} missing in ${o}`);
      assert.ok(names.has(`Service/bdtx/${s}`), `Service ${s} missing in ${o}`);
    }
    assert.ok(names.has("Deployment/bdtx/gateway"));
    assert.ok(names.has("CronJob/bdtx/bdtx-backup"), "the backup CronJob");
    for (const obj of objs) if (obj.kind !== "Namespace") assert.equal(obj.metadata.namespace, "bdtx", name(obj));
  });
  test(`overlay ${o}: every object valid against the Kubernetes API schemas, unknown fields included`, () => {
    assert.deepEqual(schemaProblems(rendered[o]()), []);
  });
  test(`overlay ${o}: every workload runs restricted (non-root, read-only root, no capabilities, seccomp, no token)`, () => {
    assert.deepEqual(securityProblems(rendered[o]()), []);
  });
}

test("production has disruption budgets, an autoscaled gateway behind an Ingress, and cert-manager certificates", () => {
  const objs = rendered.production();
  const names = new Set(objs.map(name));
  for (const n of ["HorizontalPodAutoscaler/bdtx/gateway", "Ingress/bdtx/gateway", "PodDisruptionBudget/bdtx/gateway",
    "Certificate/bdtx/bdtx-ca", "Issuer/bdtx/bdtx-ca"]) assert.ok(names.has(n), n);
  for (const s of ["directory", "plans", "approvals", "grading", "notifications", "support"]) {
    assert.ok(names.has(`Certificate/bdtx/bdtx-${s}-tls`), `certificate of ${s}`);
    assert.ok(names.has(`PodDisruptionBudget/bdtx/${s}`), `disruption budget of ${s}`);
    const sts = objs.find((x) => name(x) === `StatefulSet/bdtx/${s}`);
    assert.ok(sts.spec.template.spec.affinity?.podAntiAffinity, `anti-affinity of ${s}`);
    const cert = objs.find((x) => name(x) === `Certificate/bdtx/bdtx-${s}-tls`);
    // The name the other services dial (BDTX_<SERVICE>=<service>:port) must be in the certificate.
    assert.ok(cert.spec.dnsNames.includes(s));
  }
  const local = rendered.local();
  assert.ok(!local.some((x) => x.kind === "HorizontalPodAutoscaler"), "local has no autoscaler");
});

test("every peer address a workload dials is a Service that exists, on its gRPC port", () => {
  for (const o of overlays) {
    const objs = rendered[o]();
    const ports = new Map(objs.filter((x) => x.kind === "Service").map((s) => [s.metadata.name, s.spec.ports.map((p) => p.port)]));
    for (const w of objs.filter((x) => x.kind === "StatefulSet" || x.kind === "Deployment")) {
      for (const c of w.spec.template.spec.containers) {
        for (const e of c.env ?? []) {
          if (!/^BDTX_(DIRECTORY|PLANS|APPROVALS|GRADING|NOTIFICATIONS|SUPPORT)$/.test(e.name)) continue;
          const [host, port] = e.value.split(":");
          assert.ok(ports.get(host)?.includes(Number(port)), `${o} ${name(w)}: ${e.name}=${e.value} is no Service port`);
        }
      }
    }
  }
});

// The checks themselves catch what they are for (a check that cannot fail proves nothing).
test("the checks reject an unknown field, a wrong type, a root container and a missing startup probe", () => {
  const sts = structuredClone(rendered.local().find((x) => name(x) === "StatefulSet/bdtx/approvals"));
  const c = sts.spec.template.spec.containers[0];
  c.securityContext.readOnlyRootFilesystm = true;  // misspelt: an unknown field
  sts.spec.replicas = "one";
  assert.ok(schemaProblems([sts]).some((p) => p.includes("readOnlyRootFilesystm")), "unknown field not caught");
  assert.ok(schemaProblems([sts]).some((p) => p.includes("replicas")), "wrong type not caught");
  const bad = structuredClone(rendered.local().find((x) => name(x) === "StatefulSet/bdtx/grading"));
  const g = bad.spec.template.spec.containers[0];
  delete bad.spec.template.spec.securityContext.runAsNonRoot;
  delete g.securityContext.runAsNonRoot;
  g.securityContext.capabilities = { drop: ["NET_RAW"] };
  delete g.startupProbe;
  bad.spec.template.spec.automountServiceAccountToken = true;
  const problems = securityProblems([bad]);
  for (const want of ["may run as root", "does not drop ALL", "no startup probe", "service-account token", "default-deny"]) {
    assert.ok(problems.some((p) => p.includes(want)), `${want} not caught: ${problems.join(" | ")}`);
  }
});
