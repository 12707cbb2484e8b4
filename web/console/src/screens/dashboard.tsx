// Sở / Phòng officer: documents of my unit by state (a chart), late ones, drill-down to
// the list, grading statistics against the targets (> 98 % completed, > 75 % positive
// feedback), signed-off share per unit below mine, and the exports as downloads.
import { useEffect, useState } from 'preact/hooks';
import { api, call, cachedName, idOf, resolveNames, type ApprovalDoc, type Statistics } from '../api/client';
import { formatDate, t } from '../i18n';
import { hasRole, me, navigate } from '../state';
import { LateBadge, Loading, StateBadge, showError } from '../ui';

const STATES = ['SUBMITTED', 'RETURNED', 'LECTURER_APPROVED', 'SIGNED_OFF'];

function download(name: string, base64: string) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function Dashboard() {
  const unit = me.value!.homeUnit!;
  const [year, setYear] = useState(2023);
  const [module, setModule] = useState(4);
  const [counts, setCounts] = useState<Record<string, number> | null>(null);
  const [docs, setDocs] = useState<ApprovalDoc[]>([]);
  const [stats, setStats] = useState<Statistics[]>([]);
  const [filter, setFilter] = useState<string>('');

  useEffect(() => {
    (async () => {
      const [c, l, s] = await Promise.all([
        call(() => api.GET('/v1/units/{unitsId}/approvals:count', { params: { path: { unitsId: idOf(unit) } } })),
        call(() =>
          api.GET('/v1/units/{unitsId}/approvals', {
            params: { path: { unitsId: idOf(unit) }, query: { year, module, pageSize: 1000 } },
          }),
        ),
        call(() => api.GET('/v1/statistics', { params: { query: { unit, year, module, children: true, pageSize: 200 } } })).catch(
          () => ({ statistics: [] as Statistics[] }),
        ),
      ]);
      const byState: Record<string, number> = {};
      for (const [k, v] of Object.entries(c.byState ?? {})) byState[k] = Number(v);
      const list = l.documents ?? [];
      await resolveNames([
        ...list.flatMap((d) => [d.author, d.routing?.authorUnit, ...(d.routing?.authorUnitAncestry ?? []), ...(d.waitingFor ?? []).slice(0, 3)]),
        ...(s.statistics ?? []).map((x) => x.unit),
      ]);
      setCounts(byState);
      setDocs(list);
      setStats(s.statistics ?? []);
    })().catch(showError);
  }, [year, module]);

  const exportCsv = async (format: 'RECOGNITION' | 'TEMIS_SUMMARY') => {
    try {
      const r = await call(() =>
        api.GET('/v1/units/{unitsId}/recognition:export', { params: { path: { unitsId: idOf(unit) }, query: { year, format } } }),
      );
      download(`${format === 'RECOGNITION' ? 'cong-nhan' : 'temis'}-${idOf(unit)}-${year}.csv`, r.content ?? '');
    } catch (e) {
      showError(e);
    }
  };

  // Signed-off share per unit one level below mine (district for the Sở, school for a Phòng).
  const depth = hasRole('PROVINCE_LEADER', 'PROVINCE_OFFICER') ? 2 : 1;
  const perUnit = new Map<string, { total: number; signed: number }>();
  for (const d of docs) {
    const anc = d.routing?.authorUnitAncestry ?? [];
    const u = anc[Math.max(0, anc.length - 1 - depth)] ?? d.routing?.authorUnit ?? '';
    const e = perUnit.get(u) ?? { total: 0, signed: 0 };
    e.total++;
    if (d.state === 'SIGNED_OFF') e.signed++;
    perUnit.set(u, e);
  }
  const late = docs.filter((d) => d.late);
  // Who is waiting on whom: open documents grouped by the first person who must act now,
  // the busiest first.
  const byActor = new Map<string, ApprovalDoc[]>();
  for (const d of docs) {
    const who = (d.waitingFor ?? [])[0];
    if (!who || d.state === 'SIGNED_OFF') continue;
    byActor.set(who, [...(byActor.get(who) ?? []), d]);
  }
  const waiting = [...byActor.entries()].sort((a, b) => b[1].length - a[1].length).slice(0, 20);
  const shown =
    filter === 'late'
      ? late
      : filter.startsWith('who:')
        ? (byActor.get(filter.slice(4)) ?? [])
        : filter
          ? docs.filter((d) => d.state === filter)
          : [];
  const max = Math.max(1, ...STATES.map((s) => counts?.[s] ?? 0));

  return (
    <section>
      <h1>
        {t('dashboard')} — {cachedName(unit) ?? ''}
      </h1>
      <div class="card create">
        <label>
          {t('year')}
          <input type="number" min={2000} max={2100} value={year} onChange={(e) => setYear(+e.currentTarget.value)} />
        </label>
        <label>
          {t('module')}
          <select value={module} onChange={(e) => setModule(+e.currentTarget.value)}>
            {[1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => (
              <option value={m}>{m}</option>
            ))}
          </select>
        </label>
      </div>
      {counts === null && <Loading />}
      {counts && (
        <div class="grid">
          <div class="card">
            <h2>{t('documentsByState')}</h2>
            <ul class="bars" data-testid="by-state">
              {STATES.map((s) => (
                <li>
                  <button type="button" class="link" onClick={() => setFilter(s)} aria-pressed={filter === s}>
                    {t(`state.${s}`)}
                  </button>
                  <span class="bar" aria-hidden="true">
                    <span class={`fill state-${s.toLowerCase()}`} style={{ width: `${((counts[s] ?? 0) / max) * 100}%` }} />
                  </span>
                  <strong>{counts[s] ?? 0}</strong>
                </li>
              ))}
              <li>
                <button type="button" class="link" onClick={() => setFilter('late')} aria-pressed={filter === 'late'}>
                  {t('lateOnes')}
                </button>
                <span />
                <strong>{late.length}</strong>
              </li>
            </ul>
          </div>
          <div class="card">
            <h2>{t('signedOffShare')}</h2>
            <svg
              class="chart"
              role="img"
              aria-label={t('signedOffShare')}
              viewBox={`0 0 300 ${Math.max(1, perUnit.size) * 26}`}
              data-testid="chart"
            >
              {[...perUnit.entries()].map(([u, e], i) => (
                <g transform={`translate(0 ${i * 26})`}>
                  <text x="0" y="16" font-size="11">
                    {(cachedName(u) ?? '').slice(0, 22)}
                  </text>
                  <rect x="140" y="4" width="120" height="16" fill="#e6eef7" />
                  <rect x="140" y="4" width={(120 * e.signed) / e.total} height="16" fill="#0b5394" />
                  <text x="265" y="16" font-size="11">
                    {Math.round((100 * e.signed) / e.total)} %
                  </text>
                </g>
              ))}
            </svg>
          </div>
          <div class="card">
            <h2>{t('gradingStats')}</h2>
            <table class="list" data-testid="stats">
              <thead>
                <tr>
                  <th scope="col">{t('unit')}</th>
                  <th scope="col">
                    {t('completedShare')} ({t('targetCompleted')})
                  </th>
                  <th scope="col">
                    {t('positiveShare')} ({t('targetPositive')})
                  </th>
                </tr>
              </thead>
              <tbody>
                {stats.map((s) => (
                  <tr>
                    <td data-label={t('unit')}>{cachedName(s.unit) ?? ''}</td>
                    <td data-label={t('completedShare')}>
                      {((s.completedShare ?? 0) * 100).toFixed(1)} % · {s.meetsCompletionTarget ? t('meets') : t('below')}
                    </td>
                    <td data-label={t('positiveShare')}>
                      {((s.positiveShare ?? 0) * 100).toFixed(1)} % · {s.meetsFeedbackTarget ? t('meets') : t('below')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="card">
            <h2>{t('waitingOnWhom')}</h2>
            {waiting.length === 0 && <p class="muted">{t('nobodyWaiting')}</p>}
            <ul class="waiting" data-testid="waiting">
              {waiting.map(([who, list]) => (
                <li>
                  <button type="button" class="link" onClick={() => setFilter(`who:${who}`)} aria-pressed={filter === `who:${who}`}>
                    <strong>{cachedName(who) ?? '…'}</strong>
                  </button>
                  : {list.length} {t('waitingDocs')}
                  {list.some((d) => d.late) ? (
                    <>
                      {' '}
                      <LateBadge late />
                    </>
                  ) : null}{' '}
                  <span class="muted">
                    ({list
                      .slice(0, 5)
                      .map((d) => cachedName(d.author) ?? '…')
                      .join(', ')}
                    {list.length > 5 ? ', …' : ''})
                  </span>
                </li>
              ))}
            </ul>
          </div>
          <div class="card">
            <h2>{t('exports')}</h2>
            <button type="button" onClick={() => exportCsv('RECOGNITION')}>
              {t('exportRecognition')}
            </button>{' '}
            <button type="button" onClick={() => exportCsv('TEMIS_SUMMARY')}>
              {t('exportTemis')}
            </button>
          </div>
        </div>
      )}
      {filter && (
        <div>
          <h2>
            {t('drillDown')}:{' '}
            {filter === 'late'
              ? t('lateOnes')
              : filter.startsWith('who:')
                ? `${t('waitingFor')} ${cachedName(filter.slice(4)) ?? ''}`
                : t(`state.${filter}`)}{' '}
            ({shown.length})
          </h2>
          <table class="list" data-testid="drill">
            <thead>
              <tr>
                <th scope="col">{t('author')}</th>
                <th scope="col">{t('school')}</th>
                <th scope="col">{t('state')}</th>
                <th scope="col">{t('whoActs')}</th>
                <th scope="col">{t('deadline')}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((d) => (
                <tr>
                  <td data-label={t('author')}>
                    <a
                      href={`/documents/${idOf(d.name)}`}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(`/documents/${idOf(d.name)}`);
                      }}
                    >
                      {cachedName(d.author) ?? '…'}
                    </a>
                  </td>
                  <td data-label={t('school')}>{cachedName(d.routing?.authorUnit) ?? ''}</td>
                  <td data-label={t('state')}>
                    <StateBadge state={d.state} /> <LateBadge late={d.late} />
                  </td>
                  <td data-label={t('whoActs')}>{(d.waitingFor ?? []).map((p) => cachedName(p) ?? '').join(', ')}</td>
                  <td data-label={t('deadline')}>{formatDate(d.deadline)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
