// Core teacher / core manager: my plans and reports by year and module, with their
// approval state, who must act now and the campaign deadline; create a plan, a report or
// a "Chưa triển khai" report in one action.
import { useEffect, useState } from 'preact/hooks';
import { api, call, idOf, newRequestId, type ApprovalDoc, type Summary } from '../api/client';
import { formatDate, t } from '../i18n';
import { me, navigate } from '../state';
import { LateBadge, Loading, Name, StateBadge, showError } from '../ui';

type Entry = { summary: Summary; approval?: ApprovalDoc };

export function MyDocuments() {
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [year, setYear] = useState(2023);
  const [module, setModule] = useState(4);
  const [busy, setBusy] = useState(false);
  const author = me.value!.name!;

  const load = async () => {
    const r = await call(() => api.GET('/v1/documents', { params: { query: { author, pageSize: 200 } } }));
    const docs = r.documents ?? [];
    const approvals = await Promise.all(
      docs.map((d) =>
        call(() => api.GET('/v1/documents/{documentsId}/approval', { params: { path: { documentsId: idOf(d.name) } } })).catch(
          () => undefined,
        ),
      ),
    );
    setEntries(docs.map((summary, i) => ({ summary, approval: approvals[i] })));
  };
  useEffect(() => {
    load().catch(showError);
  }, []);

  const create = async (kind: 'plan' | 'report' | 'notDeployed') => {
    setBusy(true);
    try {
      const doc =
        kind === 'plan'
          ? await call(() => api.POST('/v1/plans', { body: { author, year, module, requestId: newRequestId() } }))
          : await call(() =>
              api.POST('/v1/reports', {
                body: { author, year, module, notDeployed: kind === 'notDeployed', requestId: newRequestId() },
              }),
            );
      navigate(`/documents/${idOf(doc.content?.name)}`);
    } catch (e) {
      showError(e);
    } finally {
      setBusy(false);
    }
  };

  const byYear = new Map<number, Entry[]>();
  for (const e of entries ?? []) {
    const y = e.summary.year ?? 0;
    byYear.set(y, [...(byYear.get(y) ?? []), e]);
  }
  const years = [...byYear.keys()].sort((a, b) => b - a);

  return (
    <section>
      <h1>{t('myDocuments')}</h1>
      <form class="card create" onSubmit={(e) => e.preventDefault()}>
        <label>
          {t('year')}
          <input type="number" min={2000} max={2100} value={year} onInput={(e) => setYear(+e.currentTarget.value)} />
        </label>
        <label>
          {t('module')}
          <select value={module} onChange={(e) => setModule(+e.currentTarget.value)}>
            {[1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => (
              <option value={m}>{m}</option>
            ))}
          </select>
        </label>
        <div class="buttons">
          <button type="button" class="primary" disabled={busy} onClick={() => create('plan')}>
            {t('createPlan')}
          </button>
          <button type="button" disabled={busy} onClick={() => create('report')}>
            {t('createReport')}
          </button>
          <button type="button" disabled={busy} onClick={() => create('notDeployed')}>
            {t('notDeployedReport')}
          </button>
        </div>
      </form>
      {entries === null && <Loading />}
      {entries?.length === 0 && <p class="muted">{t('noDocuments')}</p>}
      {years.map((y) => (
        <div>
          <h2>
            {t('year')} {y}
          </h2>
          <table class="list" data-testid="my-documents">
            <thead>
              <tr>
                <th scope="col">{t('module')}</th>
                <th scope="col">{t('state')}</th>
                <th scope="col">{t('whoActs')}</th>
                <th scope="col">{t('deadline')}</th>
                <th scope="col">
                  <span class="visually-hidden">{t('open')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {byYear
                .get(y)!
                .sort((a, b) => (a.summary.module ?? 0) - (b.summary.module ?? 0))
                .map(({ summary, approval }) => (
                  <tr>
                    <td data-label={t('module')}>
                      {t(`kind.${summary.kind}`)} · {t('module')} {summary.module}
                      {summary.notDeployed && <> · {t('notDeployed')}</>}
                    </td>
                    <td data-label={t('state')}>
                      <StateBadge state={approval?.state} /> <LateBadge late={approval?.late} />
                    </td>
                    <td data-label={t('whoActs')}>
                      {(approval?.waitingFor ?? []).slice(0, 3).map((p, i) => (
                        <>
                          {i > 0 && ', '}
                          <Name of={p} />
                        </>
                      ))}
                    </td>
                    <td data-label={t('deadline')}>{formatDate(approval?.deadline) || null}</td>
                    <td>
                      <a
                        href={`/documents/${idOf(summary.name)}`}
                        onClick={(e) => {
                          e.preventDefault();
                          navigate(`/documents/${idOf(summary.name)}`);
                        }}
                      >
                        {t('open')}
                        <span class="visually-hidden">
                          {' '}
                          {t(`kind.${summary.kind}`)} {t('module')} {summary.module}
                        </span>
                      </a>
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}
