// Lecturer and signer inbox: documents waiting for me, newest deadline first; approve
// (Đạt) or sign off from the list with one click plus a confirmation.
import { useEffect, useState } from 'preact/hooks';
import { api, call, idOf, newRequestId, resolveNames, cachedName, type ApprovalDoc } from '../api/client';
import { formatDate, t } from '../i18n';
import { isLecturer, navigate } from '../state';
import { Confirm, Loading, showError, showOk } from '../ui';

export function Inbox() {
  const [docs, setDocs] = useState<ApprovalDoc[] | null>(null);
  const [pending, setPending] = useState<ApprovalDoc | null>(null);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);

  const load = async () => {
    performance.mark('inbox-start');
    const r = await call(() => api.GET('/v1/inbox', { params: { query: { pageSize: 1000 } } }));
    const list = (r.documents ?? []).slice().sort((a, b) => (b.deadline ?? '').localeCompare(a.deadline ?? ''));
    await resolveNames(list.flatMap((d) => [d.author, d.routing?.authorUnit]));
    performance.mark('inbox-data');
    setDocs(list);
  };
  useEffect(() => {
    load().catch(showError);
  }, []);
  useEffect(() => {
    if (docs) {
      performance.mark('inbox-rendered');
      (window as unknown as { __inboxRendered?: number }).__inboxRendered = docs.length;
    }
  }, [docs]);

  const act = async () => {
    if (!pending) return;
    setBusy(true);
    const documentsId = idOf(pending.name);
    try {
      if (pending.state === 'SUBMITTED') {
        await call(() =>
          api.POST('/v1/documents/{documentsId}:approve', {
            params: { path: { documentsId } },
            body: { comment, requestId: newRequestId(), expectedVersion: pending.version },
          }),
        );
        showOk(t('approved'));
      } else {
        await call(() =>
          api.POST('/v1/documents/{documentsId}:signOff', {
            params: { path: { documentsId } },
            body: { method: 'ONLINE', requestId: newRequestId(), expectedVersion: pending.version },
          }),
        );
        showOk(t('signedOff'));
      }
      setPending(null);
      setComment('');
      await load();
    } catch (e) {
      showError(e);
    } finally {
      setBusy(false);
    }
  };

  const lecturer = isLecturer();
  const [openLabel, approveLabel, signOffLabel] = [t('open'), t('approve'), t('signOff')];
  // Labels looked up once, not per row (a 500-row inbox must paint within 500 ms).
  const L = { author: t('author'), school: t('school'), module: t('module'), state: t('state'), deadline: t('deadline'), late: t('late') };
  return (
    <section>
      <h1>{t('inbox')}</h1>
      {docs === null && <Loading />}
      {docs?.length === 0 && <p class="muted">{t('emptyInbox')}</p>}
      {docs && docs.length > 0 && (
        <table class="list" data-testid="inbox">
          <thead>
            <tr>
              <th scope="col">{t('author')}</th>
              <th scope="col">{t('school')}</th>
              <th scope="col">{t('module')}</th>
              <th scope="col">{t('state')}</th>
              <th scope="col">{t('deadline')}</th>
              <th scope="col">
                <span class="visually-hidden">{t('open')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {docs.map((d) => (
              <tr key={d.name} data-doc={idOf(d.name)}>
                <td data-label={L.author}>{cachedName(d.author) ?? '…'}</td>
                <td data-label={L.school}>{cachedName(d.routing?.authorUnit) ?? ''}</td>
                <td data-label={L.module}>
                  {t(`kind.${d.kind}`)} · {d.year} · {L.module} {d.module}
                </td>
                <td data-label={L.state}>
                  <span class={`badge state-${(d.state ?? '').toLowerCase()}`}>{t(`state.${d.state}`)}</span>
                  {d.late && <span class="badge late">{L.late}</span>}
                </td>
                <td data-label={L.deadline}>{formatDate(d.deadline) || null}</td>
                <td class="row-actions">
                  <a
                    href={`/documents/${idOf(d.name)}`}
                    aria-label={`${openLabel} ${cachedName(d.author) ?? ''}`}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate(`/documents/${idOf(d.name)}`);
                    }}
                  >
                    {openLabel}
                  </a>
                  {/* aria-label instead of hidden spans: 500 rows, no extra positioned boxes */}
                  <button
                    type="button"
                    class="primary"
                    aria-label={`${d.state === 'SUBMITTED' && lecturer ? approveLabel : signOffLabel} ${cachedName(d.author) ?? ''}`}
                    onClick={() => setPending(d)}
                  >
                    {d.state === 'SUBMITTED' && lecturer ? approveLabel : signOffLabel}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pending && (
        <Confirm
          title={pending.state === 'SUBMITTED' ? t('confirmApprove') : t('confirmSignOff')}
          busy={busy}
          onCancel={() => setPending(null)}
          onConfirm={act}
        >
          <p>
            {cachedName(pending.author)} — {t(`kind.${pending.kind}`)} {pending.year} · {t('module')} {pending.module}
          </p>
          {pending.state === 'SUBMITTED' && (
            <label>
              {t('comment')}
              <textarea value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
            </label>
          )}
        </Confirm>
      )}
    </section>
  );
}
