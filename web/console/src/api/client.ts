// The console's only way to the server: the openapi-fetch client typed by
// schema.d.ts, which `npm run gen` generates from the gateway's OpenAPI document
// (build*/services/gateway/openapi.json, written at build time from the protos).
//
// Browser sessions (ADR 015): the access and refresh tokens live in HttpOnly cookies;
// every non-GET request carries X-CSRF-Token from the readable __Host-bdtx_csrf cookie.
// A 401 triggers one refresh (POST /v1/sessions:refresh) and a retry; if that fails the
// session is over and `sessionExpired` fires.
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type ApprovalDoc = Schemas['bdtx.v1.Document'];
export type SupportDoc = Schemas['bdtx.v1.SupportDocument'];
export type Summary = Schemas['bdtx.v1.SupportDocumentSummary'];
export type Content = Schemas['bdtx.v1.DocumentContent'];
export type Row = Schemas['bdtx.v1.Row'];
export type SubRow = Schemas['bdtx.v1.SubRow'];
export type DateMsg = Schemas['bdtx.v1.Date'];
export type Person = Schemas['bdtx.v1.Person'];
export type Notification = Schemas['bdtx.v1.Notification'];
export type HistoryEntry = Schemas['bdtx.v1.HistoryEntry'];
export type VersionEntry = Schemas['bdtx.v1.VersionEntry'];
export type Attachment = Schemas['bdtx.v1.Attachment'];
export type Statistics = Schemas['bdtx.v1.Statistics'];
export type Unit = Schemas['bdtx.v1.Unit'];

export function csrfToken(): string {
  const m = document.cookie.match(/(?:^|;\s*)__Host-bdtx_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : '';
}

export const api = createClient<paths>({ baseUrl: location.origin, credentials: 'same-origin' });
api.use({
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const token = csrfToken();
      if (token) request.headers.set('X-CSRF-Token', token);
    }
    return request;
  },
});

/** An AIP-193 error: `message` is the service's sentence for people (Vietnamese). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly status: string,
  ) {
    super(message);
  }
}

let onExpired: () => void = () => {};
export function onSessionExpired(f: () => void) {
  onExpired = f;
}

let refreshing: Promise<boolean> | null = null;

/**
 * Gets a new access cookie with the refresh cookie. Refresh tokens are single use and a
 * spent one revokes the whole sign-in (ADR 015), so tabs must never refresh at the same
 * time: one tab at a time holds a Web Lock, and a tab that sees the CSRF cookie changed
 * since its failed call knows another tab already refreshed and just retries.
 * `seenCsrf`: the CSRF cookie when the failed call was sent.
 */
export function refreshSession(seenCsrf = csrfToken()): Promise<boolean> {
  const refresh = async () => {
    if (csrfToken() !== seenCsrf && csrfToken() !== '') return true;
    const r = await api.POST('/v1/sessions:refresh', { body: { browser: true } });
    return r.response.ok;
  };
  if (refreshing) return refreshing;
  const locked = navigator.locks
    ? (navigator.locks.request('bdtx-session-refresh', refresh) as unknown as Promise<boolean>)
    : refresh();
  refreshing = locked
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

type Result<T> = { data?: T; error?: unknown; response: Response };

function toError(r: Result<unknown>): ApiError {
  const e = (r.error as { error?: { message?: string; status?: string } } | undefined)?.error;
  const message = e?.message || `HTTP ${r.response.status}`;
  return new ApiError(message, r.response.status, e?.status ?? '');
}

/** Runs one typed call; refreshes the session once on 401; throws ApiError. */
export async function call<T>(f: () => Promise<Result<T>>): Promise<T> {
  const seenCsrf = csrfToken();
  let r = await f();
  if (r.response.status === 401) {
    if (await refreshSession(seenCsrf)) r = await f();
    if (r.response.status === 401) {
      onExpired();
      throw toError(r);
    }
  }
  if (!r.response.ok || r.data === undefined) throw toError(r);
  return r.data;
}

/** A resource name's id: "people/gvcc-001" → "gvcc-001". */
export const idOf = (name?: string) => (name ?? '').slice((name ?? '').indexOf('/') + 1);

export function newRequestId(): string {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// Display names of people and units, fetched in batches and cached for the page's life:
// screens never show raw ids.
const names = new Map<string, string>();
const pending = new Map<string, Promise<void>>();

export function cachedName(name?: string): string | undefined {
  return name ? names.get(name) : undefined;
}

export async function resolveNames(list: (string | undefined)[]): Promise<void> {
  const want = [...new Set(list.filter((n): n is string => !!n && !names.has(n)))];
  const people = want.filter((n) => n.startsWith('people/') && !pending.has(n));
  const units = want.filter((n) => n.startsWith('units/') && !pending.has(n));
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < people.length; i += 100) {
    const chunk = people.slice(i, i + 100);
    const job = call(() => api.GET('/v1/people:batchGet', { params: { query: { names: chunk } } }))
      .then((r) => {
        for (const p of r.people ?? []) if (p.name) names.set(p.name, p.displayName || p.name);
      })
      .catch(() => {});
    chunk.forEach((n) => pending.set(n, job));
    jobs.push(job);
  }
  for (const u of units) {
    const job = call(() => api.GET('/v1/units/{unitsId}', { params: { path: { unitsId: idOf(u) } } }))
      .then((r) => {
        names.set(u, r.displayName || r.name || u);
      })
      .catch(() => {});
    pending.set(u, job);
    jobs.push(job);
  }
  await Promise.all([...jobs, ...want.map((n) => pending.get(n)).filter(Boolean)]);
}
