// Calls through a client generated from the gateway's served /openapi.json: the types in
// ./schema (openapi-typescript, written by openapi_client.mjs at test time) decide what
// openapi-fetch may send, so this file only compiles when the document describes these
// routes, their path and query parameters, bodies and answers as used here.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Document = components["schemas"]["bdtx.v1.Document"];
type ApiError = components["schemas"]["Error"];

function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}

export async function run(baseUrl: string, tokens: Record<string, string>): Promise<string[]> {
  const log: string[] = [];
  const client = (who: string) =>
    createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${tokens[who]}` } });
  const teacher = client("teacher");
  const lecturer = client("lecturer");

  // Mutation: the core teacher creates the module plan and submits it.
  const created = await teacher.POST("/v1/plans", {
    body: { author: "people/gvcc-thcs", year: 2023, module: 4, requestId: "openapi-client-1" },
  });
  check(created.response.status === 200, `create plan: ${created.response.status}`);
  const name = created.data?.content?.name ?? "";
  check(name === "documents/gvcc-thcs-2023-m4-plan", `plan name ${name}`);
  const documentsId = name.slice("documents/".length);
  const submitted = await teacher.POST("/v1/documents/{documentsId}:submit", {
    params: { path: { documentsId } },
    body: {},
  });
  check(submitted.data?.approvalState === "SUBMITTED", `submit: ${JSON.stringify(submitted)}`);
  log.push("created and submitted");

  // List: the plan waits in the lecturer's inbox (query parameters from the document).
  const inbox = await lecturer.GET("/v1/inbox", { params: { query: { pageSize: 10 } } });
  check(inbox.response.status === 200, `inbox: ${inbox.response.status}`);
  const waiting: Document[] = inbox.data?.documents ?? [];
  check(waiting.some((d) => d.name === name && d.state === "SUBMITTED"),
        `inbox holds the plan: ${JSON.stringify(inbox.data)}`);
  log.push(`inbox lists ${waiting.length}`);

  // Mutation: the lecturer approves; the document's answer is typed by the document.
  const approved = await lecturer.POST("/v1/documents/{documentsId}:approve", {
    params: { path: { documentsId } },
    body: { comment: "Đạt yêu cầu", requestId: "openapi-client-approve-1" },
  });
  check(approved.response.status === 200, `approve: ${approved.response.status}`);
  check(approved.data?.state === "LECTURER_APPROVED", `approved: ${JSON.stringify(approved.data)}`);
  log.push("approved");

  // The same request_id again answers the same result (idempotent retry).
  const retried = await lecturer.POST("/v1/documents/{documentsId}:approve", {
    params: { path: { documentsId } },
    body: { comment: "Đạt yêu cầu", requestId: "openapi-client-approve-1" },
  });
  check(retried.data?.version === approved.data?.version, "retry answers the same version");

  // Errors come back as the document's AIP-193 schema.
  const again = await lecturer.POST("/v1/documents/{documentsId}:approve", {
    params: { path: { documentsId } },
    body: { comment: "lần nữa" },
  });
  const error: ApiError | undefined = again.error;
  check(again.response.status === 400 && error?.error.status === "FAILED_PRECONDITION",
        `second approve: ${again.response.status} ${JSON.stringify(error)}`);
  // The author may learn that their own report does not exist (others get 403).
  const missing = await teacher.GET("/v1/documents/{documentsId}", {
    params: { path: { documentsId: "gvcc-thcs-2023-m9-report" } },
  });
  check(missing.response.status === 404 && missing.error?.error.status === "NOT_FOUND",
        `missing: ${missing.response.status}`);
  log.push("errors typed");

  // A public route: sign-in needs no token (security: []); a wrong password is 401.
  const anonymous = createClient<paths>({ baseUrl });
  const signIn = await anonymous.POST("/v1/sessions", {
    body: { username: "gvcc-thcs", password: "not the password" },
  });
  check(signIn.response.status === 401 && signIn.error?.error.status === "UNAUTHENTICATED",
        `sign-in: ${signIn.response.status}`);
  log.push("sign-in answered");
  return log;
}
