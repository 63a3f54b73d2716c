import type { Child } from 'hono/jsx';
import { usernames } from '../access/queries.js';
import { NotFoundError } from '../platform/errors.js';
import type { Router } from '../platform/http/app.js';
import { parseInput } from '../platform/parse.js';
import { indicatorHistory, indicatorMatches, organisationNames } from '../watchlist/activity.js';
import {
  type Category,
  ReviewSchema,
  RevokeSchema,
  SightingCreateSchema,
  type Tlp,
} from '../watchlist/contract.js';
import {
  addSighting,
  getIndicator,
  REGULATOR_SOURCE,
  reviewIndicator,
  revokeIndicator,
} from '../watchlist/service.js';
import { Badge, CsrfField, Errors, Layout, Notice, when } from './layout.js';
import { layoutUser, type PageCtx, page } from './pages.js';
import {
  ACTION_TEXT,
  CATEGORY_TEXT,
  STATUS_TEXT,
  TLP_TEXT,
  TYPE_LABELS,
  WATCHLIST_ALERT_TEXT,
} from './watchlist-text.js';
import {
  CardTable,
  canWrite,
  consoleWatchCtx,
  FieldError,
  type FormFailure,
  failureStatus,
  formFailure,
  Glossary,
  StatusBadge,
  TextareaField,
  TlpBadge,
  WATCH_READERS,
  WATCH_WRITERS,
} from './watchlist-views.js';

type ActionName = 'sighting' | 'review' | 'revoke';
/** What was typed into an action form that failed, shown again. */
type Typed = Record<string, string>;

interface ActionFormProps {
  c: PageCtx;
  id: string;
  failure?: FormFailure;
  typed: Typed;
}

/** What a form did, for the notice on the page it returns to. */
const DONE: Record<string, string> = {
  listed: 'Listed. It matches live traffic from the next scorer reload.',
  source_added: 'This value was already listed: you are now one of its sources.',
  seen: 'Sighting recorded; the validity is extended.',
  false_positive: 'False positive recorded.',
  reinstated: 'Reinstated: it matches again.',
  revoked: 'Revoked: it no longer matches or leaves this instance except as a revocation.',
};

/** Audit actions that only read: counted, not listed one by one in the history. */
const LOOKUPS = new Set(['watchlist.read', 'watchlist.searched', 'watchlist.checked']);

async function detailPage(
  c: PageCtx,
  indicatorId: string,
  failed?: {
    action: ActionName;
    failure: FormFailure;
    status: ReturnType<typeof failureStatus>;
    typed: Typed;
  },
) {
  const ctx = consoleWatchCtx(c);
  let ind: Awaited<ReturnType<typeof getIndicator>>;
  try {
    ind = await getIndicator({ ctx, input: { indicatorId } });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    return c.html(
      <Layout title="Indicator" user={layoutUser(c)} active="/console/watchlist">
        <Errors message={`No indicator ${indicatorId} is listed.`} />
        <a href="/console/watchlist">Back to the watchlist</a>
      </Layout>,
      404,
    );
  }
  const [matches, history, users] = await Promise.all([
    indicatorMatches(ctx.db, { indicatorId: ind.id }),
    indicatorHistory(ctx.db, { indicatorId: ind.id }),
    usernames(ctx.db),
  ]);
  const orgs = await organisationNames(ctx.db, [
    ...(ind.sources ?? []).map((s) => s.sourceOrg),
    ...(ind.sightings ?? []).map((s) => s.byOrg),
    ...history.filter((h) => h.actorType === 'operator').map((h) => h.actorId),
    ...matches.map((m) => m.operatorId ?? '').filter(Boolean),
  ]);
  const org = (id: string) =>
    id === REGULATOR_SOURCE ? 'Regulator (this console)' : (orgs.get(id) ?? id);
  const actor = (type: string, id: string) =>
    type === 'operator' ? org(id) : type === 'user' ? (users.get(id) ?? id) : id;
  const changes = history.filter((h) => !LOOKUPS.has(h.action));
  const lookups = history.filter((h) => LOOKUPS.has(h.action));
  const lastLookup = lookups[lookups.length - 1];
  const done = c.req.query('done');
  const writer = canWrite(c);
  const failureOf = (a: ActionName) => (failed?.action === a ? failed.failure : undefined);
  const typedIn = (a: ActionName) => (failed?.action === a ? failed.typed : {});
  const category = CATEGORY_TEXT[ind.category as Category];
  return c.html(
    <Layout
      title={`${TYPE_LABELS[ind.type]} ${ind.value}`}
      user={layoutUser(c)}
      active="/console/watchlist"
    >
      <p class="small">
        <a href="/console/watchlist">← Watchlist</a>
      </p>
      <h1>
        <span class="muted">{TYPE_LABELS[ind.type]}</span> <span class="value">{ind.value}</span>{' '}
        <StatusBadge status={ind.status} /> <TlpBadge tlp={ind.tlp} />
      </h1>
      <Notice message={done ? DONE[done] : undefined} />
      <div class="grid">
        <section class="card" id="facts">
          <h2>Indicator</h2>
          <dl class="facts">
            <dt>Category</dt>
            <dd>
              <strong>{category.label}</strong>
              <br />
              <span class="small muted">{category.explain}</span>
            </dd>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={ind.status} />{' '}
              <span class="small muted">{STATUS_TEXT[ind.status]}</span>
            </dd>
            <dt>Confidence</dt>
            <dd>{ind.confidence} / 100</dd>
            <dt>Marking</dt>
            <dd>
              <TlpBadge tlp={ind.tlp} />
              <br />
              <span class="small muted">{TLP_TEXT[ind.tlp as Tlp]}</span>
            </dd>
            <dt>Shared with</dt>
            <dd>{ind.shareWith.includes('*') ? 'every partner (*)' : ind.shareWith.join(', ')}</dd>
            <dt>Valid until</dt>
            <dd>{when(ind.validUntil)}</dd>
            {ind.bankCode && (
              <>
                <dt>Bank code</dt>
                <dd>{ind.bankCode}</dd>
              </>
            )}
            <dt>Description</dt>
            <dd class="prewrap">{ind.description}</dd>
            <dt>Case reference</dt>
            <dd>{ind.caseRef ?? '—'}</dd>
            <dt>Source country</dt>
            <dd>{ind.sourceCountry}</dd>
            <dt>Listed</dt>
            <dd>{when(ind.createdAt)}</dd>
            <dt>Last changed</dt>
            <dd>{when(ind.updatedAt)}</dd>
            {ind.revokedAt && (
              <>
                <dt>Revoked</dt>
                <dd>
                  {when(ind.revokedAt)}: <span class="prewrap">{ind.revokeReason}</span>
                </dd>
              </>
            )}
            <dt>Id</dt>
            <dd class="small">
              <code>{ind.id}</code>
              <br />
              <code>{ind.stixId}</code>
            </dd>
          </dl>
        </section>
        {writer && (
          <section class="card" id="actions">
            <h2>Actions</h2>
            {ind.status === 'revoked' ? (
              <p class="muted">
                Revoked indicators take no sightings; listing the value again brings it back.
              </p>
            ) : (
              <>
                <SightingForm
                  c={c}
                  id={ind.id}
                  failure={failureOf('sighting')}
                  typed={typedIn('sighting')}
                />
                {ind.status === 'suspended' && (
                  <ReviewForm
                    c={c}
                    id={ind.id}
                    failure={failureOf('review')}
                    typed={typedIn('review')}
                  />
                )}
                <RevokeForm
                  c={c}
                  id={ind.id}
                  failure={failureOf('revoke')}
                  typed={typedIn('revoke')}
                />
              </>
            )}
          </section>
        )}
      </div>
      <section class="card" id="sources">
        <h2>Sources ({ind.sources?.length ?? 0})</h2>
        <CardTable headers={['Organisation', 'Confidence', 'Description', 'Case ref', 'Listed']}>
          {(ind.sources ?? []).map((s) => (
            <tr>
              <td data-label="Organisation">
                <div>
                  {org(s.sourceOrg)}
                  {s.owner && <span class="muted small"> (owner)</span>}
                </div>
              </td>
              <td data-label="Confidence">{s.confidence}</td>
              <td class="prewrap" data-label="Description">
                {s.description}
              </td>
              <td data-label="Case ref">{s.caseRef ?? '—'}</td>
              <td class="small nowrap" data-label="Listed">
                {when(s.listedAt)}
              </td>
            </tr>
          ))}
        </CardTable>
      </section>
      <section class="card" id="sightings">
        <h2>Sightings ({ind.sightings?.length ?? 0})</h2>
        {(ind.sightings ?? []).length === 0 ? (
          <p class="muted">No sighting reported.</p>
        ) : (
          <CardTable headers={['When', 'Kind', 'By', 'Note']}>
            {(ind.sightings ?? []).map((s) => (
              <tr>
                <td class="small nowrap" data-label="When">
                  {when(s.at)}
                </td>
                <td data-label="Kind">
                  <Badge value={s.kind} />
                </td>
                <td data-label="By">{org(s.byOrg)}</td>
                <td class="prewrap" data-label="Note">
                  {s.note || '—'}
                </td>
              </tr>
            ))}
          </CardTable>
        )}
      </section>
      <section class="card" id="matches">
        <h2>Matches in live traffic ({matches.length})</h2>
        {matches.length === 0 ? (
          <p class="muted">No call, message or connection has matched this indicator.</p>
        ) : (
          <CardTable headers={['Line', 'Operator', 'Alert', 'Raised', 'Status']}>
            {matches.map((m) => (
              <tr data-alert={m.alertId}>
                <td class="nowrap" data-label="Line">
                  {m.msisdn}
                </td>
                <td data-label="Operator">{m.operatorId ? org(m.operatorId) : '—'}</td>
                <td data-label="Alert">
                  <div>
                    <strong>{WATCHLIST_ALERT_TEXT[m.rule]?.label ?? m.rule}</strong>{' '}
                    <code class="small">{m.rule}</code>
                    <br />
                    <span class="small muted">{WATCHLIST_ALERT_TEXT[m.rule]?.explain}</span>
                  </div>
                </td>
                <td class="small nowrap" data-label="Raised">
                  {when(m.raisedAt)}
                </td>
                <td data-label="Status">
                  <Badge value={m.status} />
                </td>
              </tr>
            ))}
          </CardTable>
        )}
      </section>
      <section class="card" id="history">
        <h2>History</h2>
        <ol class="timeline">
          {changes.map((h) => (
            <li>
              <span class="small muted">{when(h.at)}</span>{' '}
              <strong>{ACTION_TEXT[h.action] ?? h.action}</strong> by{' '}
              {actor(h.actorType, h.actorId)}
              {h.outcome !== 'success' && <span class="muted"> ({h.outcome})</span>}
            </li>
          ))}
        </ol>
        {lastLookup && (
          <p class="small muted" id="lookups">
            Looked up {lookups.length} time(s); last by{' '}
            {actor(lastLookup.actorType, lastLookup.actorId)} at {when(lastLookup.at)}.
          </p>
        )}
      </section>
      <Glossary />
    </Layout>,
    failed ? failed.status : 200,
  );
}

/** The frame every action form shares: where it posts, its heading, summary and button. */
const ActionForm = ({
  c,
  id,
  path,
  formId,
  title,
  failure,
  button,
  children,
}: {
  c: PageCtx;
  id: string;
  path: string;
  formId: string;
  title: string;
  failure?: FormFailure;
  button: Child;
  children: Child;
}) => (
  <form class="stack" method="post" action={`/console/watchlist/${id}/${path}`} id={formId}>
    <CsrfField token={c.get('user').csrfToken} />
    <h3>{title}</h3>
    <Errors message={failure?.message} />
    {children}
    <p>{button}</p>
  </form>
);

const SightingForm = ({ c, id, failure, typed }: ActionFormProps) => (
  <ActionForm
    c={c}
    id={id}
    path="sightings"
    formId="sighting-form"
    title="Record a sighting"
    failure={failure}
    button={<button type="submit">Record sighting</button>}
  >
    <fieldset class="checks">
      <legend>What was seen</legend>
      <label>
        <input type="radio" name="kind" value="seen" checked={typed.kind !== 'false_positive'} />{' '}
        Seen in a case (extends its validity)
      </label>
      <label>
        <input
          type="radio"
          name="kind"
          value="false_positive"
          checked={typed.kind === 'false_positive'}
        />{' '}
        False positive (stops matching until reviewed)
      </label>
    </fieldset>
    <FieldError id="kind" failure={failure} />
    <TextareaField
      id="sighting-note"
      name="note"
      label="Note"
      value={typed.note ?? ''}
      failure={failure}
    />
  </ActionForm>
);

const ReviewForm = ({ c, id, failure, typed }: ActionFormProps) => (
  <ActionForm
    c={c}
    id={id}
    path="review"
    formId="review-form"
    title="Review the false positive"
    failure={failure}
    button={<button type="submit">Record review</button>}
  >
    <label for="decision">Decision</label>
    <select id="decision" name="decision">
      <option value="reinstate">Reinstate: it matches again</option>
      <option value="revoke" selected={typed.decision === 'revoke'}>
        Revoke: the report was right
      </option>
    </select>
    <TextareaField
      id="review-note"
      name="note"
      label="Note (required)"
      value={typed.note ?? ''}
      failure={failure}
    />
  </ActionForm>
);

const RevokeForm = ({ c, id, failure, typed }: ActionFormProps) => (
  <ActionForm
    c={c}
    id={id}
    path="revoke"
    formId="revoke-form"
    title="Revoke"
    failure={failure}
    button={
      <button type="submit" class="danger">
        Revoke indicator
      </button>
    }
  >
    <TextareaField
      id="reason"
      label="Reason (required; partners receive the revocation)"
      value={typed.reason ?? ''}
      failure={failure}
    />
  </ActionForm>
);

export function mountWatchlistDetailPages(app: Router): void {
  app.get('/console/watchlist/:id', page({ roles: WATCH_READERS }), (c) =>
    detailPage(c, c.req.param('id')),
  );

  const act =
    (
      action: ActionName,
      run: (c: PageCtx, id: string, form: Record<string, unknown>) => Promise<string>,
    ) =>
    async (c: PageCtx) => {
      const id = c.req.param('id') ?? '';
      const form = await c.req.parseBody();
      try {
        const done = await run(c, id, form);
        return c.redirect(`/console/watchlist/${id}?done=${done}`, 303);
      } catch (err) {
        const failure = formFailure(err);
        const typed: Typed = {};
        for (const [k, v] of Object.entries(form)) if (typeof v === 'string') typed[k] = v;
        return detailPage(c, id, { action, failure, status: failureStatus(err), typed });
      }
    };
  const writers = page({ roles: WATCH_WRITERS });

  app.post(
    '/console/watchlist/:id/sightings',
    writers,
    act('sighting', async (c, indicatorId, form) => {
      const input = parseInput(SightingCreateSchema, { kind: form.kind, note: form.note });
      await addSighting({ ctx: consoleWatchCtx(c), input: { ...input, indicatorId } });
      return input.kind;
    }),
  );
  app.post(
    '/console/watchlist/:id/review',
    writers,
    act('review', async (c, indicatorId, form) => {
      const input = parseInput(ReviewSchema, { decision: form.decision, note: form.note });
      await reviewIndicator({ ctx: consoleWatchCtx(c), input: { ...input, indicatorId } });
      return input.decision === 'reinstate' ? 'reinstated' : 'revoked';
    }),
  );
  app.post(
    '/console/watchlist/:id/revoke',
    writers,
    act('revoke', async (c, indicatorId, form) => {
      const input = parseInput(RevokeSchema, { reason: form.reason });
      await revokeIndicator({ ctx: consoleWatchCtx(c), input: { ...input, indicatorId } });
      return 'revoked';
    }),
  );
}
