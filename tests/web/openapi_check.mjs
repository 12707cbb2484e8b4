// The OpenAPI document is valid (@apidevtools/swagger-parser), lists exactly the REST
// routes the gateway serves (`bdtx-gateway --print_routes`), and says which need no
// token: exactly the sign-in routes the services' token check exempts
// (common/auth/token_auth_processor.cc); every other one a bearer token or the session
// cookie (with the CSRF header unless GET).
// Usage: node openapi_check.mjs OPENAPI.json GATEWAY_BINARY
import { execFileSync } from "node:child_process";
import SwaggerParser from "@apidevtools/swagger-parser";

const [file, gateway] = process.argv.slice(2);
const api = await SwaggerParser.validate(file);
const documented = new Set();
for (const [path, item] of Object.entries(api.paths)) {
  for (const verb of Object.keys(item)) documented.add(`${verb.toUpperCase()} ${path}`);
}
// Templates to OpenAPI paths, the same way: "{name=documents/*}" -> "documents/{documentsId}".
const toOpenApi = (template) => {
  const verbAt = template.lastIndexOf(":");
  const lastClose = template.lastIndexOf("}");
  let verb = "";
  if (verbAt > lastClose && verbAt > template.lastIndexOf("/")) {
    verb = template.slice(verbAt);
    template = template.slice(0, verbAt);
  }
  const out = template.replace(/\{([^}=]+)(?:=([^}]*))?\}/g, (_, field, pattern) => {
    if (!pattern || pattern === "*") return `{${field}}`;
    const parts = pattern.split("/");
    return parts.map((p, i) => (p === "*" ? `{${parts[i - 1]}Id}` : p)).join("/");
  });
  return out + verb;
};
const served = new Set(execFileSync(gateway, ["--print_routes=true"], { encoding: "utf8" })
  .trim().split("\n").map((line) => {
    const [verb, template] = line.split(" ");
    return `${verb} ${toOpenApi(template)}`;
  }));
const missing = [...served].filter((r) => !documented.has(r));
const extra = [...documented].filter((r) => !served.has(r));
if (served.size < 50 || missing.length || extra.length) {
  console.error({ served: served.size, missing, extra });
  process.exit(1);
}
const publicOps = new Set(["Sessions_CreateSession", "Sessions_RefreshSession",
                           "Sessions_DeleteSession", "Sessions_ActivateAccount"]);
const wrong = [];
for (const [path, item] of Object.entries(api.paths)) {
  for (const [verb, op] of Object.entries(item)) {
    const security = JSON.stringify(op.security);
    const expected = publicOps.has(op.operationId) ? "[]"
      : verb === "get" ? '[{"bearerAuth":[]},{"sessionCookie":[]}]'
      : '[{"bearerAuth":[]},{"csrfHeader":[],"sessionCookie":[]}]';
    if (security !== expected) wrong.push(`${verb} ${path} ${op.operationId}: ${security}`);
    publicOps.delete(op.operationId);
    if (!op.responses["200"] || !op.responses.default) wrong.push(`${verb} ${path}: responses`);
  }
}
if (publicOps.size) wrong.push(`public operations missing: ${[...publicOps]}`);
// The error schema is AIP-193's.
const error = api.components.schemas.Error;
if (JSON.stringify(error.required) !== '["error"]' ||
    !["code", "message", "status", "details"].every((k) => k in error.properties.error.properties)) {
  wrong.push(`Error schema: ${JSON.stringify(error)}`);
}
if (wrong.length) {
  console.error(wrong);
  process.exit(1);
}
console.log(`openapi ok: ${served.size} routes, valid OpenAPI ${api.openapi}`);
