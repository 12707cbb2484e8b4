// One plan (Appendix 1) or report (Appendix 2): the form (editable by its author while a
// draft or returned), the returned reason next to it, submit / resubmit, the lecturer's
// approve or return, the signer's online or scanned sign-off, the history, and the
// printable form (print CSS, A4 landscape).
import { useEffect, useState } from 'preact/hooks';
import {
  api,
  call,
  newRequestId,
  resolveNames,
  type ApprovalDoc,
  type Attachment,
  type DateMsg,
  type HistoryEntry,
  type Row,
  type SupportDoc,
  type VersionEntry,
} from '../api/client';
import { formatDate, formatDateTime, t } from '../i18n';
import { isLecturer, isSigner, me, navigate } from '../state';
import { Confirm, LateBadge, Loading, Name, StateBadge, errorText, showError, showOk } from '../ui';

const SUB_ROWS = new Set(['2.1', '2.2', '2.3']);

const toInput = (d?: DateMsg) =>
  d?.year ? `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}` : '';
const fromInput = (s: string): DateMsg | undefined => {
  const m = s.match(/^(\d{4})-(\d{2})-(\d{2})$/);
  return m ? { year: +m[1], month: +m[2], day: +m[3] } : undefined;
};
const showDate = (d?: DateMsg) => (d?.year ? `${d.day}/${d.month}/${d.year}` : '');

type Action = 'approve' | 'return' | 'signOff' | 'signOffScanned';

export function DocumentView({ id }: { id: string }) {
  const [doc, setDoc] = useState<SupportDoc | null>(null);
  const [approval, setApproval] = useState<ApprovalDoc | null>(null);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [versions, setVersions] = useState<VersionEntry[]>([]);
  const [rows, setRows] = useState<Row[]>([]);
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [action, setAction] = useState<Action | null>(null);
  const [text, setText] = useState('');
  const [scan, setScan] = useState<Attachment | null>(null);
  const [loadError, setLoadError] = useState('');
  const path = { documentsId: id };

  const load = async () => {
    const d = await call(() => api.GET('/v1/documents/{documentsId}', { params: { path } }));
    setDoc(d);
    setRows(structuredClone(d.content?.rows ?? []));
    setDirty(false);
    const [a, h, v] = await Promise.all([
      call(() => api.GET('/v1/documents/{documentsId}/approval', { params: { path } })).catch(() => null),
      call(() => api.GET('/v1/documents/{documentsId}/history', { params: { path } })).catch(() => null),
      call(() => api.GET('/v1/documents/{documentsId}/versions', { params: { path } })).catch(() => null),
    ]);
    setApproval(a);
    setHistory(h?.entries ?? []);
    setVersions(v?.entries ?? []);
    await resolveNames([
      d.content?.author,
      ...(h?.entries ?? []).map((e) => e.actor),
      ...(v?.entries ?? []).map((e) => e.actor),
      ...(a?.waitingFor ?? []),
    ]);
  };
  useEffect(() => {
    setDoc(null);
    load().catch((e) => setLoadError(errorText(e)));
  }, [id]);

  if (loadError)
    return (
      <p class="error" role="alert">
        {loadError}
      </p>
    );
  if (!doc) return <Loading />;
  const content = doc.content!;
  const state = approval?.state ?? doc.approvalState ?? 'DRAFT';
  const mine = content.author === me.value?.name;
  const editable = mine && (state === 'DRAFT' || state === 'RETURNED' || state === 'DOCUMENT_STATE_UNSPECIFIED');
  const isReport = content.kind === 'REPORT';
  const lastReturn = [...history].reverse().find((h) => h.action === 'returned');
  const changedSinceReturn = lastReturn ? versions.filter((v) => (v.time ?? '') > (lastReturn.time ?? '') && v.paths?.length) : [];

  const update = (i: number, f: (r: Row) => void) => {
    const next = structuredClone(rows);
    f(next[i]);
    setRows(next);
    setDirty(true);
  };

  const save = async (): Promise<SupportDoc> => {
    const d = await call(() =>
      api.PATCH('/v1/documents/{documentsId}', {
        params: { path, query: { updateMask: 'rows', expectedVersion: doc.version, requestId: newRequestId() } },
        body: { ...content, rows },
      }),
    );
    setDoc(d);
    setDirty(false);
    return d;
  };

  const run = async (f: () => Promise<unknown>, ok: string) => {
    setBusy(true);
    try {
      await f();
      showOk(ok);
      setAction(null);
      setText('');
      await load();
    } catch (e) {
      showError(e);
    } finally {
      setBusy(false);
    }
  };

  const submit = () =>
    run(async () => {
      const saved = dirty ? await save() : doc;
      await call(() =>
        api.POST('/v1/documents/{documentsId}:submit', {
          params: { path },
          body: { expectedVersion: saved.version, requestId: newRequestId() },
        }),
      );
    }, t('submitted'));

  const confirmAction = () => {
    const expectedVersion = approval?.version;
    const requestId = newRequestId();
    if (action === 'approve')
      return run(
        () => call(() => api.POST('/v1/documents/{documentsId}:approve', { params: { path }, body: { comment: text, requestId, expectedVersion } })),
        t('approved'),
      );
    if (action === 'return')
      return run(
        () => call(() => api.POST('/v1/documents/{documentsId}:return', { params: { path }, body: { reason: text, requestId, expectedVersion } })),
        t('returned'),
      );
    if (action === 'signOff')
      return run(
        () => call(() => api.POST('/v1/documents/{documentsId}:signOff', { params: { path }, body: { method: 'ONLINE', requestId, expectedVersion } })),
        t('signedOff'),
      );
    if (action === 'signOffScanned' && scan)
      return run(
        () =>
          call(() =>
            api.POST('/v1/documents/{documentsId}:signOff', {
              params: { path },
              body: {
                method: 'SCANNED',
                evidenceSha256: scan.sha256,
                evidenceReference: scan.reference,
                evidenceReceipt: scan.receipt,
                requestId,
                expectedVersion,
              },
            }),
          ),
        t('signedOff'),
      );
  };

  const upload = async (file: File) => {
    setBusy(true);
    try {
      const a = await call(() =>
        api.POST('/v1/documents/{documentsId}/attachments', {
          params: { path },
          // The gateway streams the raw body; the file name rides in the query.
          querySerializer: () => `metadata.fileName=${encodeURIComponent(file.name)}`,
          body: file as unknown as string,
          bodySerializer: (b: unknown) => b as BodyInit,
          headers: { 'Content-Type': file.type || 'application/octet-stream' },
        }),
      );
      setScan(a);
      setAction('signOffScanned');
    } catch (e) {
      showError(e);
    } finally {
      setBusy(false);
    }
  };

  const lecturerCan = isLecturer() && !mine && state === 'SUBMITTED';
  const signerCan = isSigner() && !mine && state !== 'SIGNED_OFF' && state !== 'DRAFT' && state !== 'RETURNED';

  return (
    <section class="document">
      <div class="no-print">
        <a
          href={mine ? '/documents' : '/inbox'}
          onClick={(e) => {
            e.preventDefault();
            navigate(mine ? '/documents' : '/inbox');
          }}
        >
          ← {t('back')}
        </a>
      </div>
      <h1>
        {isReport ? t('report') : t('plan')} — {t('module')} {content.module} · {content.year}
      </h1>
      <dl class="meta">
        <dt>{t('author')}</dt>
        <dd data-testid="author-name">{content.header?.authorName || <Name of={content.author} />}</dd>
        <dt>{t('school')}</dt>
        <dd>{content.header?.school}</dd>
        <dt>{t('state')}</dt>
        <dd data-testid="doc-state">
          <StateBadge state={state} /> <LateBadge late={approval?.late} />
        </dd>
        {approval?.deadline && (
          <>
            <dt>{t('deadline')}</dt>
            <dd>{formatDate(approval.deadline)}</dd>
          </>
        )}
        {(approval?.waitingFor?.length ?? 0) > 0 && (
          <>
            <dt>{t('whoActs')}</dt>
            <dd>
              {approval!.waitingFor!.slice(0, 5).map((p, i) => (
                <>
                  {i > 0 && ', '}
                  <Name of={p} />
                </>
              ))}
            </dd>
          </>
        )}
        <dt>{t('version')}</dt>
        <dd>{doc.version}</dd>
      </dl>

      {state === 'RETURNED' && approval?.lastReason && (
        <div class="returned no-print" role="note" data-testid="returned-reason">
          <strong>{t('returnedReason')}:</strong> {approval.lastReason}
        </div>
      )}
      {changedSinceReturn.length > 0 && !mine && (
        <div class="changed no-print" data-testid="changed-since">
          <strong>{t('changedSince')}:</strong>{' '}
          {[...new Set(changedSinceReturn.flatMap((v) => v.paths ?? []))].join(', ')}
        </div>
      )}
      {content.notDeployed && <p class="notice">{t('notDeployed')}</p>}

      <div class="print-header print-only">
        <p>
          {content.header?.authorName} — {content.header?.position} — {content.header?.school}
        </p>
      </div>
      <div class="table-wrap">
        <table class="form" data-testid="form">
          <thead>
            <tr>
              <th scope="col">{t('row')}</th>
              <th scope="col">{t('activity')}</th>
              <th scope="col">{t('target')}</th>
              <th scope="col">{t('from')}</th>
              <th scope="col">{t('to')}</th>
              <th scope="col">{t('coordinators')}</th>
              {isReport && <th scope="col">{t('result')}</th>}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <>
                <tr key={r.number}>
                  <th scope="row">{r.number}</th>
                  <td>
                    {editable ? (
                      <textarea
                        aria-label={`${t('activity')} ${r.number}`}
                        data-row={r.number}
                        value={r.activity ?? ''}
                        onInput={(e) => update(i, (x) => (x.activity = e.currentTarget.value))}
                      />
                    ) : (
                      r.activity
                    )}
                  </td>
                  <td>
                    {editable ? (
                      <input
                        type="number"
                        min={0}
                        max={100}
                        aria-label={`${t('target')} % ${r.number}`}
                        value={r.target?.percent ?? 0}
                        onInput={(e) => update(i, (x) => (x.target = { ...x.target, percent: +e.currentTarget.value }))}
                      />
                    ) : (
                      <>
                        {r.target?.percent ? `${r.target.percent} %` : ''} {r.target?.description}
                      </>
                    )}
                  </td>
                  <td>
                    {editable ? (
                      <input
                        type="date"
                        aria-label={`${t('from')} ${r.number}`}
                        value={toInput(r.from)}
                        onInput={(e) => update(i, (x) => (x.from = fromInput(e.currentTarget.value)))}
                      />
                    ) : (
                      showDate(r.from)
                    )}
                  </td>
                  <td>
                    {editable ? (
                      <input
                        type="date"
                        aria-label={`${t('to')} ${r.number}`}
                        value={toInput(r.to)}
                        onInput={(e) => update(i, (x) => (x.to = fromInput(e.currentTarget.value)))}
                      />
                    ) : (
                      showDate(r.to)
                    )}
                  </td>
                  <td>{(r.coordinators ?? []).join(', ')}</td>
                  {isReport && (
                    <td>
                      {r.result?.text ||
                        (r.result?.base && r.result.base !== '0'
                          ? `${r.result.count}/${r.result.base} (${r.result.percent ?? 0} %)`
                          : r.result?.count ?? '')}
                    </td>
                  )}
                </tr>
                {(r.subRows ?? []).map((s, j) => (
                  <tr class="sub" key={`${r.number}.${j}`}>
                    <th scope="row">
                      {r.number}.{j + 1}
                    </th>
                    <td colSpan={2}>
                      {editable ? (
                        <input
                          aria-label={`${t('subActivity')} ${r.number}.${j + 1}`}
                          data-subrow={`${r.number}.${j + 1}`}
                          value={s.activity ?? ''}
                          onInput={(e) => update(i, (x) => (x.subRows![j].activity = e.currentTarget.value))}
                        />
                      ) : (
                        s.activity
                      )}
                    </td>
                    <td>
                      {editable ? (
                        <input
                          type="date"
                          aria-label={`${t('from')} ${r.number}.${j + 1}`}
                          value={toInput(s.from)}
                          onInput={(e) => update(i, (x) => (x.subRows![j].from = fromInput(e.currentTarget.value)))}
                        />
                      ) : (
                        showDate(s.from)
                      )}
                    </td>
                    <td>
                      {editable ? (
                        <input
                          type="date"
                          aria-label={`${t('to')} ${r.number}.${j + 1}`}
                          value={toInput(s.to)}
                          onInput={(e) => update(i, (x) => (x.subRows![j].to = fromInput(e.currentTarget.value)))}
                        />
                      ) : (
                        showDate(s.to)
                      )}
                    </td>
                    <td colSpan={isReport ? 2 : 1}>
                      {(s.coordinators ?? []).join(', ')}
                      {editable && (
                        <button
                          type="button"
                          class="link no-print"
                          onClick={() => update(i, (x) => x.subRows!.splice(j, 1))}
                        >
                          {t('remove')}
                          <span class="visually-hidden">
                            {' '}
                            {r.number}.{j + 1}
                          </span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
                {editable && SUB_ROWS.has(r.number ?? '') && (
                  <tr class="no-print add-sub">
                    <td />
                    <td colSpan={isReport ? 6 : 5}>
                      <button
                        type="button"
                        data-add-sub={r.number}
                        onClick={() => update(i, (x) => (x.subRows = [...(x.subRows ?? []), { activity: '', coordinators: [] }]))}
                      >
                        + {t('addSubRow')} ({r.number})
                      </button>
                    </td>
                  </tr>
                )}
              </>
            ))}
          </tbody>
        </table>
      </div>

      <div class="actions no-print">
        {editable && (
          <>
            <button type="button" disabled={busy || !dirty} onClick={() => run(save, t('saved'))}>
              {t('save')}
            </button>
            <button type="button" class="primary" disabled={busy} onClick={submit}>
              {state === 'RETURNED' ? t('resubmit') : t('submit')}
            </button>
          </>
        )}
        {lecturerCan && (
          <>
            <button type="button" class="primary" onClick={() => setAction('approve')}>
              {t('approve')}
            </button>
            <button type="button" class="danger" onClick={() => setAction('return')}>
              {t('returnDoc')}
            </button>
          </>
        )}
        {signerCan && (
          <>
            <button type="button" class="primary" onClick={() => setAction('signOff')}>
              {t('signOff')}
            </button>
            <label class="file">
              {t('uploadScan')}
              <input
                type="file"
                accept="application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"
                disabled={busy}
                onChange={(e) => {
                  const f = e.currentTarget.files?.[0];
                  if (f) upload(f);
                }}
              />
            </label>
            <button type="button" class="danger" onClick={() => setAction('return')}>
              {t('returnDoc')}
            </button>
          </>
        )}
        <button type="button" onClick={() => window.print()}>
          {t('print')}
        </button>
      </div>

      {(doc.attachments?.length ?? 0) > 0 && (
        <div class="no-print">
          <h2>{t('attachments')}</h2>
          <ul>
            {doc.attachments!.map((a) => (
              <li>
                <a href={`/v1/documents/${encodeURIComponent(id)}/attachments/${a.sha256}`} download={a.fileName}>
                  {a.fileName}
                </a>{' '}
                ({a.mediaType}, {a.size} B)
              </li>
            ))}
          </ul>
        </div>
      )}

      <div class="no-print">
        <h2>{t('history')}</h2>
        <ol class="history" data-testid="history">
          {history.map((h) => (
            <li>
              <strong>{t(`action.${h.action}`)}</strong> — <Name of={h.actor} /> — {formatDateTime(h.time)}
              {h.reason && <> — “{h.reason}”</>}
            </li>
          ))}
          {versions.map((v) => (
            <li class="muted">
              {t('version')} {v.version}: {t(`action.${v.action}`)} — <Name of={v.actor} /> — {formatDateTime(v.time)}
            </li>
          ))}
        </ol>
      </div>

      {action && (
        <Confirm
          title={
            action === 'approve'
              ? t('confirmApprove')
              : action === 'return'
                ? t('confirmReturn')
                : action === 'signOff'
                  ? t('confirmSignOff')
                  : t('confirmScanned')
          }
          busy={busy || (action === 'return' && !text.trim())}
          onCancel={() => {
            setAction(null);
            setText('');
          }}
          onConfirm={confirmAction}
        >
          {(action === 'approve' || action === 'return') && (
            <label>
              {action === 'approve' ? t('comment') : t('reason')}
              <textarea data-testid="action-text" value={text} onInput={(e) => setText(e.currentTarget.value)} />
            </label>
          )}
          {action === 'signOffScanned' && scan && (
            <p>
              {t('uploaded')}: {scan.fileName} ({scan.size} B)
            </p>
          )}
        </Confirm>
      )}

    </section>
  );
}
