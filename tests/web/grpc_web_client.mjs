// A gRPC-Web client from npm (@connectrpc/connect-node's gRPC-Web transport, HTTP/1.1)
// drives the seed sequence through the gateway, with a live notifications stream.
// Service descriptors come from the descriptor set the build writes (no code generation).
// Run by gateway_e2e_test with: BDTX_GATEWAY_URL, BDTX_DESCRIPTORS, BDTX_TOKENS (JSON).
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

const registry = createFileRegistry(
  fromBinary(FileDescriptorSetSchema, readFileSync(process.env.BDTX_DESCRIPTORS)));
const tokens = JSON.parse(process.env.BDTX_TOKENS);
const as = (who) => ({ headers: { authorization: `Bearer ${tokens[who]}` }, timeoutMs: 20000 });
const transport = createGrpcWebTransport({
  baseUrl: process.env.BDTX_GATEWAY_URL,
  httpVersion: "1.1",
  useBinaryFormat: true,
});
const plans = createClient(registry.getService("bdtx.v1.Plans"), transport);
const approvals = createClient(registry.getService("bdtx.v1.Approvals"), transport);
const notifications = createClient(registry.getService("bdtx.v1.Notifications"), transport);

// The principal's live stream, opened before anything happens.
const abort = new AbortController();
const firstNotification = (async () => {
  for await (const n of notifications.watchNotifications({}, { ...as("principal"),
                                                               timeoutMs: undefined,
                                                               signal: abort.signal })) {
    return n;
  }
})();

const step = (what) => console.log(`step: ${what}`);
const name = "documents/gvcc-thcs-2023-m4-plan";
step("createPlan");
const created = await plans.createPlan({ author: "people/gvcc-thcs", year: 2023, module: 4 },
                                       as("teacher"));
assert.equal(created.content.name, name);
step("submitDocument");
const submitted = await plans.submitDocument({ name }, as("teacher"));
assert.equal(submitted.approvalState, 2 /* SUBMITTED */);
step("approve");
const approved = await approvals.approve({ document: name, comment: "Đạt" }, as("lecturer"));
assert.equal(approved.state, 4 /* LECTURER_APPROVED */);
step("signOff");
const signed = await approvals.signOff({ document: name, method: 1 /* ONLINE */ },
                                       as("principal"));
assert.equal(signed.state, 5 /* SIGNED_OFF */);

step("errors");
// An error comes back as a ConnectError with the gRPC code.
await assert.rejects(approvals.approve({ document: name }, as("lecturer")),
                     (e) => e.code === 9 /* FailedPrecondition */);
await assert.rejects(plans.getDocument({ name: "documents/gvcc-thcs-2023-m9-report" }, as("teacher")),
                     (e) => e.code === 5 /* NotFound */);

step("live notification");
const n = await Promise.race([
  firstNotification,
  new Promise((_, reject) => setTimeout(() => reject(new Error("no live notification")), 15000)),
]);
assert.equal(n.recipient, "people/ht-thcs");
abort.abort();
console.log("grpc-web sequence ok; live notification:", n.name);
process.exit(0);
