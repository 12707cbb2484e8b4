// ctest k8s_manifests_test (monitoring part): the alert rules pass promtool check rules
// and their unit tests (promtool test rules), every dashboard query parses (promtool),
// and every metric the rules and the dashboard use is one bdtx exports (named in the
// code) and is listed in docs/operations.md.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { k8sDir, name, render, YAML } from "./lib.mjs";

const repo = path.resolve(k8sDir, "..");
const objs = render(path.join(k8sDir, "overlays", "production"));
const rule = objs.find((o) => name(o) === "PrometheusRule/bdtx/bdtx-alerts");
const dashboardMap = objs.find((o) => name(o) === "ConfigMap/bdtx/bdtx-grafana-dashboard");

function promtool(args, cwd) {
  const r = spawnSync("promtool", args, { cwd, encoding: "utf8" });
  if (r.error) throw new Error("promtool not found: install Debian's prometheus (deploy/setup-debian.sh)");
  return r;
}

function tmp() {
  return fs.mkdtempSync(path.join(os.tmpdir(), "bdtx-prom-"));
}

test("the production overlay carries the alert rules and the dashboard", () => {
  assert.ok(rule, "PrometheusRule bdtx-alerts");
  assert.ok(dashboardMap, "dashboard ConfigMap");
  assert.equal(dashboardMap.metadata.labels.grafana_dashboard, "1");
});

test("alert rules pass promtool check rules and their unit tests", () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, "rules.yaml"), YAML.stringify({ groups: rule.spec.groups }));
  const unit = fs.readFileSync(path.join(k8sDir, "monitoring", "alerts.test.yaml"), "utf8");
  fs.writeFileSync(path.join(dir, "test.yaml"), unit.replace("[RULES]", "[rules.yaml]"));
  const check = promtool(["check", "rules", "rules.yaml"], dir);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  const unitRun = promtool(["test", "rules", "test.yaml"], dir);
  assert.equal(unitRun.status, 0, unitRun.stdout + unitRun.stderr);
  // The alerts the issue asks for exist.
  const names = rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert));
  for (const a of ["BdtxServiceDown", "BdtxNotificationsLagHigh", "BdtxDeadLettersGrowing",
    "BdtxWriteStalls", "BdtxVolumeAlmostFull"]) assert.ok(names.includes(a), a);
  fs.rmSync(dir, { recursive: true, force: true });
});

const dashboard = JSON.parse(dashboardMap.data["bdtx-dashboard.json"]);
const dashboardExprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));

test("every dashboard query is valid PromQL (promtool)", () => {
  assert.ok(dashboardExprs.length >= 10);
  const dir = tmp();
  const rules = { groups: [{ name: "dashboard", rules: dashboardExprs.map((expr, i) => ({ record: `dashboard:panel_${i}`, expr })) }] };
  fs.writeFileSync(path.join(dir, "dashboard.yaml"), YAML.stringify(rules));
  const check = promtool(["check", "rules", "dashboard.yaml"], dir);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  // A broken query is caught (the check can fail).
  fs.writeFileSync(path.join(dir, "broken.yaml"), YAML.stringify({ groups: [{ name: "x", rules: [{ record: "x:y", expr: "rate(bdtx_x[5m]" }] }] }));
  assert.notEqual(promtool(["check", "rules", "broken.yaml"], dir).status, 0);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("every metric used by the alerts and the dashboard is exported by bdtx and documented", () => {
  const exprs = [...dashboardExprs, ...rule.spec.groups.flatMap((g) => g.rules.map((r) => r.expr))];
  const used = new Set(exprs.flatMap((e) => e.match(/\b(bdtx|grpc)_[a-z0-9_]+/g) ?? [])
    .map((m) => m.replace(/_(bucket|sum|count)$/, ""))
    .filter((m) => !["grpc_code", "grpc_method", "grpc_service", "grpc_type"].includes(m)));  // labels
  assert.ok(used.size >= 15, [...used].join(" "));
  const source = execFileSync("git", ["grep", "-h", "-e", "bdtx_", "-e", "_total\"", "-e", "_seconds\"", "--", "*.cc"],
    { cwd: repo, encoding: "utf8" });
  const docs = fs.readFileSync(path.join(repo, "docs", "operations.md"), "utf8");
  for (const m of used) {
    const literal = m.startsWith("grpc_") ? `"${m.replace(/^grpc_(server|client)/, "")}"` : `"${m}"`;
    assert.ok(source.includes(literal), `${m} is not exported by any service (no ${literal} in the code)`);
    assert.ok(docs.includes(`\`${m}\``), `${m} is not listed in docs/operations.md`);
  }
});
