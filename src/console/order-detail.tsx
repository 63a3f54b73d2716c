import { usernames } from '../access/queries.js';
import {
  isSimpleOrderAction,
  needsNote,
  ORDER_ACTION_TABLE,
  type OrderVerb,
} from '../suspensions/order-actions.js';
import {
  affectedCells,
  frozenCells,
  getOrder,
  type OrderView,
  orderTimeline,
} from '../suspensions/order-queries.js';
import { ordersCtx } from '../suspensions/request-context.js';
import { getZone } from '../suspensions/zones.js';
import { Badge, CsrfField, Errors, Layout, Notice, when } from './layout.js';
import { colours } from './order-form.js';
import { type errorView, layoutUser, type PageCtx } from './pages.js';
import { CellTable } from './tables.js';
import { Legend, type MapPoint, ZoneMap } from './views.js';

const STATUS_COLOURS: Record<string, string> = {
  pending: '#d97706',
  suspended: '#0f766e',
  failed: '#b42323',
  restored: '#6b7785',
};

/** Where an action's form returns to: the order, with the notice "Done: <what>." */
export function doneUrl(orderId: string, verb: OrderVerb): string {
  return `/console/orders/${orderId}?${new URLSearchParams({ done: ORDER_ACTION_TABLE[verb].done })}`;
}

/** Moments no one recorded because they follow from the stored window: in force, expired. */
function derivedEvents(o: OrderView) {
  const out: { at: string; label: string; by: string; detail: string }[] = [];
  if (!o.decidedAt || !o.impact.frozen) return out;
  /** An order approved after its start is in force from the approval. */
  const from = [o.decidedAt, o.startsAt].sort()[1] ?? o.startsAt;
  const started =
    o.status === 'active' ||
    o.status === 'expired' ||
    (o.status === 'lifted' && o.liftedAt !== null && o.liftedAt > from);
  if (started) out.push({ at: from, label: 'in force', by: '', detail: '' });
  if (o.status === 'expired') out.push({ at: o.endsAt, label: 'expired', by: '', detail: '' });
  return out;
}

export async function detailPage(
  c: PageCtx,
  orderId: string,
  error?: ReturnType<typeof errorView>,
) {
  const ctx = ordersCtx(c);
  const o = await getOrder(ctx.db, { ...ctx, orderId });
  const [zone, cells, timeline, names, { colour, name }] = await Promise.all([
    getZone(ctx.db, { zoneId: o.zone.id, version: o.zone.version }),
    frozenCells(ctx.db, { orderId: o.id }),
    orderTimeline(ctx.db, { reference: o.reference }),
    usernames(ctx.db),
    colours(c),
  ]);
  const preview = o.impact.frozen
    ? []
    : await affectedCells(ctx.db, {
        zone_id: o.zone.id,
        zone_version: o.zone.version,
        coverage: o.coverage,
        operator_ids: o.operatorIds,
        exempt_cells: o.exemptCells,
      });
  const points: MapPoint[] = o.impact.frozen
    ? cells.map((x) => ({
        lon: x.lon,
        lat: x.lat,
        color: STATUS_COLOURS[x.status] ?? '#333',
        label: `${name.get(x.operatorId)} ${x.cellId}: ${x.status}`,
      }))
    : preview.map((x) => ({
        lon: x.lon,
        lat: x.lat,
        color: colour.get(x.operatorId) ?? '#333',
        label: `${name.get(x.operatorId)} ${x.cellId}`,
      }));
  const who = (id: string | null) => (id ? (names.get(id) ?? name.get(id) ?? id) : '—');
  const actions = o.allowedActions.filter(isSimpleOrderAction);
  const me = c.get('user');
  const review = ORDER_ACTION_TABLE.review;
  /** Reviewable: issued and not ended, not yet reviewed, and not by the approver themself. */
  const canReview =
    o.status in review.from &&
    o.review !== null &&
    o.review.reviewedAt === null &&
    (review.roles as readonly string[]).includes(me.role) &&
    me.id !== o.decidedBy;
  const done = c.req.query('done');
  const events = [
    ...timeline.map((t) => ({
      at: t.at,
      label: t.action.replace('order.', '').replaceAll('_', ' '),
      by: t.actorType === 'operator' ? (name.get(t.actorId) ?? t.actorId) : who(t.actorId),
      detail: [
        typeof t.data.version === 'number' ? `(v${t.data.version})` : '',
        typeof t.data.note === 'string' ? `“${t.data.note}”` : '',
      ]
        .filter(Boolean)
        .join(' '),
    })),
    ...derivedEvents(o),
  ].sort((a, b) => a.at.localeCompare(b.at));
  return (
    <Layout title={o.reference} user={layoutUser(c)} active="/console/orders">
      <h1>
        {o.reference} <span class="muted">v{o.version}</span> <Badge value={o.status} />
      </h1>
      <Notice message={done ? `Done: ${done}.` : undefined} />
      <Errors message={error?.message} errors={error?.errors} />
      {o.amendsId && (
        <section class="card" id="cell-changes">
          <p>
            Amends <a href={`/console/orders/${o.amendsId}`}>version {o.version - 1}</a>
            {o.cellChanges &&
              `: ${o.cellChanges.added.length} cell(s) added, ${o.cellChanges.removed.length} removed.`}
          </p>
          {o.cellChanges &&
            (
              [
                ['Added', o.cellChanges.added],
                ['Removed', o.cellChanges.removed],
              ] as const
            ).map(([label, keys]) =>
              keys.length > 0 ? (
                <p class="small">
                  {label}:{' '}
                  {keys.map((k) => {
                    const [operatorId = '', cellId = ''] = k.split('/');
                    return (
                      <code class="nowrap">
                        {name.get(operatorId) ?? operatorId} {cellId}{' '}
                      </code>
                    );
                  })}
                </p>
              ) : null,
            )}
        </section>
      )}
      {(actions.length > 0 || o.allowedActions.includes('amend') || canReview) && (
        <section class="card">
          <h2>Actions</h2>
          <div class="actions">
            {actions.map((a) => {
              const spec = ORDER_ACTION_TABLE[a];
              const note = needsNote(a, o.status)
                ? 'required'
                : spec.note === 'optional'
                  ? 'optional'
                  : 'none';
              return (
                <form method="post" action={`/console/orders/${o.id}/${a}`}>
                  <CsrfField token={c.get('user').csrfToken} />
                  {note !== 'none' && (
                    <textarea
                      name="note"
                      aria-label={`Note for ${a}`}
                      placeholder={note === 'required' ? 'Reason (required)' : 'Note (optional)'}
                      required={note === 'required'}
                    />
                  )}
                  <button class={spec.kind} type="submit">
                    {spec.label}
                  </button>
                </form>
              );
            })}
            {canReview && (
              <form
                method="post"
                action={`/console/orders/${o.id}/${'review' satisfies OrderVerb}`}
              >
                <CsrfField token={me.csrfToken} />
                <textarea
                  name="note"
                  aria-label="Review note"
                  placeholder="Review findings (required)"
                  required
                />
                <button type="submit">{review.label}</button>
              </form>
            )}
            {o.allowedActions.includes('amend') && (
              <a
                class={`button ${ORDER_ACTION_TABLE.amend.kind}`}
                href={`/console/orders/${o.id}/${'amend' satisfies OrderVerb}`}
              >
                {ORDER_ACTION_TABLE.amend.label}
              </a>
            )}
          </div>
        </section>
      )}
      <div class="grid">
        <section class="card">
          <h2>Order</h2>
          <dl class="facts">
            <dt>Zone</dt>
            <dd>
              <a href={`/console/zones/${o.zone.id}`}>{o.zone.name}</a> v{o.zone.version}{' '}
              <Badge value={o.zone.riskLevel} />
            </dd>
            <dt>Measure</dt>
            <dd>{o.measure.replaceAll('_', ' ')}</dd>
            <dt>Services</dt>
            <dd>{o.services.join(', ')}</dd>
            <dt>Period</dt>
            <dd>
              {when(o.startsAt)} → {when(o.endsAt)}
            </dd>
            <dt>Operators</dt>
            <dd>{o.operatorIds.map((id) => name.get(id) ?? id).join(', ')}</dd>
            <dt>Exempt cells</dt>
            <dd>{o.exemptCells.length > 0 ? o.exemptCells.join(', ') : '—'}</dd>
            <dt>Legal basis</dt>
            <dd>{o.legalBasis}</dd>
            <dt>Reasons</dt>
            <dd>{o.reasons}</dd>
            <dt>Drafted by</dt>
            <dd>{who(o.draftedBy)}</dd>
            <dt>Decided by</dt>
            <dd>
              {who(o.decidedBy)}
              {o.decisionNote && <span class="muted"> — “{o.decisionNote}”</span>}
            </dd>
            {o.review && (
              <>
                <dt>Review</dt>
                <dd id="review">
                  {o.review.reviewedAt
                    ? `${when(o.review.reviewedAt)} by ${who(o.review.reviewedBy)} — “${o.review.note}”`
                    : `due ${when(o.review.dueAt)}`}{' '}
                  {o.review.overdue && <Badge value="overdue" />}
                </dd>
              </>
            )}
            {o.liftedAt && (
              <>
                <dt>Lifted</dt>
                <dd>
                  {when(o.liftedAt)} by {who(o.liftedBy)} — “{o.liftNote}”
                </dd>
              </>
            )}
          </dl>
        </section>
        <section class="card">
          <h2>
            {o.impact.frozen ? 'Frozen cells' : 'Cells if approved now'}: {o.impact.cells}
          </h2>
          <ZoneMap geometry={zone.geometry} points={points} title={`Cells of ${o.reference}`} />
          {o.impact.frozen ? (
            <Legend
              items={Object.entries(STATUS_COLOURS).map(([label, color]) => ({ label, color }))}
            />
          ) : (
            <Legend
              items={o.operatorIds.map((id) => ({
                label: name.get(id) ?? id,
                color: colour.get(id) ?? '#333',
              }))}
            />
          )}
        </section>
      </div>
      {o.operators.length > 0 && (
        <section class="card" id="compliance">
          <h2>Operator compliance</h2>
          <table>
            <thead>
              <tr>
                <th>Operator</th>
                <th>Acknowledged</th>
                <th>Cells</th>
                <th>Suspended</th>
                <th>Failed</th>
                <th>Pending</th>
                <th>Restored</th>
              </tr>
            </thead>
            <tbody>
              {o.operators.map((p) => (
                <tr data-operator={p.operatorId}>
                  <td>{p.operatorName}</td>
                  <td>
                    {p.acknowledgedAt ? when(p.acknowledgedAt) : 'not yet'}{' '}
                    {p.overdue && <Badge value="overdue" />}
                  </td>
                  <td>{p.cells.total}</td>
                  <td class="suspended">{p.cells.suspended}</td>
                  <td class="failed">{p.cells.failed}</td>
                  <td>{p.cells.pending}</td>
                  <td>{p.cells.restored}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Per cell</h2>
          <CellTable
            cells={cells}
            operatorName={(id) => name.get(id)}
            columns={[
              { header: 'Status', render: (x) => <Badge value={x.status} /> },
              { header: 'Cause', render: (x) => x.cause ?? '' },
              { header: 'Reported', render: (x) => when(x.reportedAt), class: 'small' },
            ]}
          />
        </section>
      )}
      <section class="card">
        <h2>Timeline</h2>
        <ol class="timeline">
          {events.map((t) => (
            <li>
              <span class="small muted">{when(t.at)}</span> <strong>{t.label}</strong>
              {t.by && ` by ${t.by}`}
              {t.detail && <span class="muted"> {t.detail}</span>}
            </li>
          ))}
        </ol>
      </section>
    </Layout>
  );
}
