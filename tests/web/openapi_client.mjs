// A client generated from the gateway's served OpenAPI document calls it: openapi-typescript
// turns GET /openapi.json into TypeScript types, the TypeScript compiler checks
// openapi_client_calls.ts (openapi-fetch calls: create, submit, list the inbox, approve,
// typed errors, a public sign-in route) against them, and the compiled calls run against
// the real gateway and services. Run by gateway_e2e_test with BDTX_GATEWAY_URL,
// BDTX_TOKENS (JSON) and BDTX_WORK_DIR (an empty directory for the generated files).
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

const here = path.dirname(fileURLToPath(import.meta.url));
const base = process.env.BDTX_GATEWAY_URL;
const work = process.env.BDTX_WORK_DIR;
mkdirSync(work, { recursive: true });
symlinkSync(path.join(here, "node_modules"), path.join(work, "node_modules"), "dir");
writeFileSync(path.join(work, "package.json"), JSON.stringify({ type: "module" }));

// 1. Generate from what the gateway serves (not from the build's file).
const ast = await openapiTS(new URL("/openapi.json", base));
const schema = astToString(ast);
writeFileSync(path.join(work, "schema.ts"), schema);
writeFileSync(path.join(work, "calls.ts"),
              readFileSync(path.join(here, "openapi_client_calls.ts"), "utf8"));
console.log(`generated ${schema.length} characters of types`);

// 2. Type-check the calls against the generated types, and compile them.
const program = ts.createProgram([path.join(work, "calls.ts")], {
  strict: true,
  noEmitOnError: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  skipLibCheck: true,
  outDir: path.join(work, "out"),
});
const emitted = program.emit();
const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
if (diagnostics.length > 0) {
  console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => work,
    getNewLine: () => "\n",
  }));
  process.exit(1);
}

// 3. Run them.
const { run } = await import(pathToFileURL(path.join(work, "out", "calls.js")).href);
const log = await run(base, JSON.parse(process.env.BDTX_TOKENS));
console.log(log.join("\n"));
console.log("openapi client ok");
