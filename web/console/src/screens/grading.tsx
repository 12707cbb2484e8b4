// Grading screens: the lecturer's review of up to 3 graded assignments per core member
// of theirs (Grading.Review), the officer's grading extensions (Grading.GrantExtension)
// and the certificate eligibility list of the officer's unit (Plans.ListEligibility).
//
// The API has no "list the classes of a grader" call, so both class screens start from
// the class id (printed on the class list the Sở sends); everything after that is shown
// by name. Review has no verdict field: agreeing or not is the first words of the comment.
import { useEffect, useState } from 'preact/hooks';
import { api, cachedName, call, idOf, newRequestId, resolveNames, type Schemas } from '../api/client';
import { t } from '../i18n';
import { me } from '../state';
import { Loading, showError, showOk } from '../ui';

type Assignment = Schemas['bdtx.v1.Assignment'];
type Run = Schemas['bdtx.v1.Run'];
type Klass = Schemas['bdtx.v1.Class'];
type DateMsg = Schemas['bdtx.v1.Date'];

export const REVIEWS_PER_CORE_MEMBER = 3; // services/grading kReviewsPerGrader

export function dateText(d?: DateMsg): string {
  if (!d?.year) return '';
  return `${String(d.day).padStart(2, '0')}/${String(d.month).padStart(2, '0')}/${d.year}`;
}

function ClassPicker(props: { onLoad: (id: string) => void; initial?: string }) {
  const [id, setId] = useState(props.initial ?? '');
  return (
    <form
      class="card create"
      onSubmit={(e) => {
        e.preventDefault();
        if (id.trim()) props.onLoad(id.trim().replace(/^classes\//, ''));
      }}
    >
      <label>
        {t('classId')}
        <input name="classId" value={id} onInput={(e) => setId(e.currentTarget.value)} required maxLength={200} />
      </label>
      <button type="submit" class="primary">
        {t('load')}
      </button>
    </form>
  );
}

async function loadClass(id: string): Promise<{ klass: Klass; run: Run | null }> {
  const klass = await call(() => api.GET('/v1/classes/{classesId}', { params: { path: { classesId: id } } }));
  const run = await call(() => api.GET('/v1/classes/{classesId}/run', { params: { path: { classesId: id } } })).catch(
    () => null,
  );
  return { klass, run };
}

function RunLine({ klass, run }: { klass: Klass; run: Run | null }) {
  return (
    <p data-testid="class-line">
      <strong>
        {t('className')}: {klass.displayName}
      </strong>{' '}
      · {t('module')} {klass.module} · {klass.year} · {cachedName(klass.unit) ?? ''}
      {' · '}
      {run ? (
        <span data-testid="grading-deadline">
          {t('gradingDeadline')}: {dateText(run.gradingDeadline)}
          {run.extended ? ` (${t('extended')})` : ''}
        </span>
      ) : (
        <span>{t('notEnrolled')}</span>
      )}
    </p>
  );
}

// ---------------------------------------------------------------- lecturer review

export function Review() {
  const [classId, setClassId] = useState(new URLSearchParams(location.search).get('class') ?? '');
  const [data, setData] = useState<{ klass: Klass; run: Run | null; mine: string[]; work: Assignment[] } | null>(null);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    if (!classId) return;
    setBusy(true);
    (async () => {
      const { klass, run } = await loadClass(classId);
      // The graders whose lecturer (for this year and module) is me.
      const graders = run?.graders?.length ? run.graders : (klass.graders ?? []);
      const routings = await Promise.all(
        graders.map((g) =>
          call(() =>
            api.GET('/v1/people/{peopleId}/routing', {
              params: { path: { peopleId: idOf(g) }, query: { kind: 'PLAN', year: klass.year ?? 0, module: klass.module ?? 0 } },
            }),
          ).catch(() => null),
        ),
      );
      const mine = graders.filter((_, i) => routings[i]?.lecturer === me.value?.name);
      const work = (
        await Promise.all(
          (klass.learners ?? []).map((l) =>
            call(() =>
              api.GET('/v1/classes/{classesId}/assignments/{assignmentsId}', {
                params: { path: { classesId: classId, assignmentsId: idOf(l) } },
              }),
            ).catch(() => null),
          ),
        )
      ).filter((a): a is Assignment => !!a && !!a.grader && mine.includes(a.grader));
      await resolveNames([klass.unit, ...graders, ...work.map((a) => a.learner)]);
      setData({ klass, run, mine, work });
    })()
      .catch(showError)
      .finally(() => setBusy(false));
  }, [classId, tick]);

  return (
    <section>
      <h1>{t('review')}</h1>
      <ClassPicker
        initial={classId}
        onLoad={(id) => {
          history.replaceState(null, '', `/review?class=${encodeURIComponent(id)}`);
          setClassId(id);
          setTick((x) => x + 1);
        }}
      />
      {busy && <Loading />}
      {data && !busy && (
        <div>
          <RunLine klass={data.klass} run={data.run} />
          {data.mine.length === 0 && <p class="muted">{t('notMyCoreMembers')}</p>}
          {data.mine.map((g) => {
            const graded = data.work.filter((a) => a.grader === g && a.verdict && a.verdict !== 'VERDICT_UNSPECIFIED');
            // The quota counts reviews across the core member's classes in this module; what
            // this class shows is a lower bound, and the service enforces the rule.
            const used = graded.filter((a) => (a.reviews ?? []).length > 0).length;
            return (
              <div class="card" data-testid="core-member">
                <h2>
                  {t('coreMember')}: {cachedName(g) ?? '…'}
                </h2>
                <p>
                  {t('reviewsUsed')}: {used}/{REVIEWS_PER_CORE_MEMBER}
                </p>
                {graded.length === 0 && <p class="muted">{t('noGraded')}</p>}
                {graded.map((a) => (
                  <GradedAssignment a={a} full={used >= REVIEWS_PER_CORE_MEMBER} onDone={() => setTick((x) => x + 1)} />
                ))}
              </div>
            );
          })}
        </div>
      )}
    </section>
  );
}

function GradedAssignment({ a, full, onDone }: { a: Assignment; full: boolean; onDone: () => void }) {
  const [agree, setAgree] = useState(true);
  const [comment, setComment] = useState('');
  const [sending, setSending] = useState(false);
  const id = idOf(a.name).replace(/\//g, '-');
  const reviewed = (a.reviews ?? []).length > 0;
  const send = async () => {
    setSending(true);
    try {
      const [classesId, , assignmentsId] = idOf(a.name).split('/');
      // Stored words, read later by the grader in Vietnamese whatever language I use.
      const prefix = agree ? 'Đồng ý' : 'Không đồng ý';
      await call(() =>
        api.POST('/v1/classes/{classesId}/assignments/{assignmentsId}:review', {
          params: { path: { classesId, assignmentsId } },
          body: { assignment: a.name, comment: `${prefix}: ${comment.trim()}`, requestId: newRequestId() },
        }),
      );
      showOk(t('reviewed'));
      setComment('');
      onDone();
    } catch (e) {
      showError(e);
    } finally {
      setSending(false);
    }
  };
  return (
    <div class="assignment" data-testid="assignment">
      <dl>
        <dt>{t('learner')}</dt>
        <dd>{cachedName(a.learner) ?? '…'}</dd>
        <dt>{t('verdict')}</dt>
        <dd>
          {t(`verdict.${a.verdict ?? 'VERDICT_UNSPECIFIED'}`)}
          {a.hasScore ? ` · ${t('score')} ${a.score}` : ''}
        </dd>
        {a.comment && (
          <>
            <dt>{t('graderComment')}</dt>
            <dd>{a.comment}</dd>
          </>
        )}
        {(a.reviews ?? []).map((r) => (
          <>
            <dt>{cachedName(r.lecturer) ?? t('review')}</dt>
            <dd data-testid="review-comment">{r.comment}</dd>
          </>
        ))}
      </dl>
      {(!full || reviewed) && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            send();
          }}
        >
          <fieldset>
            <legend class="sr-only">{t('verdict')}</legend>
            <label class="check">
              <input type="radio" name={`agree-${id}`} checked={agree} onChange={() => setAgree(true)} /> {t('agree')}
            </label>{' '}
            <label class="check">
              <input type="radio" name={`agree-${id}`} checked={!agree} onChange={() => setAgree(false)} /> {t('disagree')}
            </label>
          </fieldset>
          <label>
            {t('comment')}
            <textarea name="comment" value={comment} maxLength={1900} required onInput={(e) => setComment(e.currentTarget.value)} />
          </label>
          <button type="submit" class="primary" disabled={sending || !comment.trim()}>
            {t('sendReview')}
          </button>
        </form>
      )}
      {full && !reviewed && <p class="muted">{t('reviewLimit')}</p>}
    </div>
  );
}

// ---------------------------------------------------------------- officer: extensions

export function Extensions() {
  const [classId, setClassId] = useState('');
  const [data, setData] = useState<{ klass: Klass; run: Run | null } | null>(null);
  const [deadline, setDeadline] = useState('');
  const [reason, setReason] = useState('');
  const [tick, setTick] = useState(0);

  useEffect(() => {
    if (!classId) return;
    (async () => {
      const d = await loadClass(classId);
      await resolveNames([d.klass.unit]);
      setData(d);
    })().catch((e) => {
      setData(null);
      showError(e);
    });
  }, [classId, tick]);

  const grant = async () => {
    const [year, month, day] = deadline.split('-').map(Number);
    try {
      await call(() =>
        api.POST('/v1/classes/{classesId}:grantExtension', {
          params: { path: { classesId: classId } },
          body: { className: `classes/${classId}`, deadline: { year, month, day }, reason: reason.trim(), requestId: newRequestId() },
        }),
      );
      showOk(t('extensionGranted'));
      setReason('');
      setTick((x) => x + 1);
    } catch (e) {
      showError(e);
    }
  };

  return (
    <section>
      <h1>{t('extensions')}</h1>
      <ClassPicker onLoad={(id) => (setClassId(id), setTick((x) => x + 1))} />
      {data && (
        <div class="card">
          <RunLine klass={data.klass} run={data.run} />
          <form
            onSubmit={(e) => {
              e.preventDefault();
              grant();
            }}
          >
            <label>
              {t('newDeadline')}
              <input type="date" name="deadline" required value={deadline} onInput={(e) => setDeadline(e.currentTarget.value)} />
            </label>
            <label>
              {t('reason')}
              <textarea name="reason" required maxLength={1000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
            </label>
            <button type="submit" class="primary" disabled={!deadline || !reason.trim()}>
              {t('grantExtension')}
            </button>
          </form>
        </div>
      )}
    </section>
  );
}

// ---------------------------------------------------------------- officer: eligibility

export function EligibilityList() {
  const unit = me.value!.homeUnit!;
  const [year, setYear] = useState(2023);
  const [onlyMissing, setOnlyMissing] = useState(false);
  const [list, setList] = useState<Schemas['bdtx.v1.Eligibility'][] | null>(null);

  useEffect(() => {
    setList(null);
    (async () => {
      const all: Schemas['bdtx.v1.Eligibility'][] = [];
      let pageToken: string | undefined;
      do {
        const r = await call(() =>
          api.GET('/v1/units/{unitsId}/eligibility', {
            params: { path: { unitsId: idOf(unit) }, query: { year, onlyMissing, pageSize: 500, pageToken } },
          }),
        );
        all.push(...(r.coreMembers ?? []));
        pageToken = (r as { nextPageToken?: string }).nextPageToken || undefined;
      } while (pageToken && all.length < 5000);
      await resolveNames([unit]);
      setList(all);
    })().catch((e) => {
      setList([]);
      showError(e);
    });
  }, [year, onlyMissing]);

  return (
    <section>
      <h1>
        {t('eligibilityList')} — {cachedName(unit) ?? ''}
      </h1>
      <div class="card create">
        <label>
          {t('year')}
          <input type="number" min={2000} max={2100} value={year} onChange={(e) => setYear(+e.currentTarget.value)} />
        </label>
        <label class="check">
          <input type="checkbox" checked={onlyMissing} onChange={(e) => setOnlyMissing(e.currentTarget.checked)} /> {t('onlyMissing')}
        </label>
      </div>
      {list === null && <Loading />}
      {list && (
        <table class="list" data-testid="eligibility">
          <thead>
            <tr>
              <th scope="col">{t('coreMember')}</th>
              <th scope="col">{t('eligibility')}</th>
              <th scope="col">{t('missing')}</th>
            </tr>
          </thead>
          <tbody>
            {list.map((e) => (
              <tr>
                <td data-label={t('coreMember')}>{e.coreMemberName || cachedName(e.coreMember) || '…'}</td>
                <td data-label={t('eligibility')}>
                  <span class={e.eligible ? 'badge state-signed_off' : 'badge late'}>{e.eligible ? t('eligible') : t('notEligible')}</span>
                </td>
                <td data-label={t('missing')}>
                  {(e.modules ?? [])
                    .filter((m) => (m.missing ?? []).length > 0)
                    .map((m) => `${t('module')} ${m.module}: ${(m.missing ?? []).join(', ')}`)
                    .join(' · ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
