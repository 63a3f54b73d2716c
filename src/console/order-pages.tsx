import type { Router } from '../platform/http/app.js';
import { SERVICES } from '../suspensions/lifecycle.js';
import {
  affectedCells,
  frozenCells,
  getOrder,
  listOrders,
  MEASURES,
  type OrderView,
  orderTimeline,
} from '../suspensions/order-queries.js';
import { actOnOrder, amendOrder, type DraftOrderInput, draftOrder } from '../suspensions/orders.js';
import { ordersCtx, parseStatusFilter } from '../suspensions/routes.js';
import { COVERAGE_MODES, getZone, listZones } from '../suspensions/zones.js';
import { Badge, CsrfField, Errors, Layout, Notice, PALETTE, when } from './layout.js';
import { errorView, layoutUser, type PageCtx, page } from './pages.js';
import { operatorDirectory, usernames } from './queries.js';
import { Legend, type MapPoint, ZoneMap } from './views.js';

/** The draft form's fields as typed; datetimes are `YYYY-MM-DDTHH:mm` in UTC. */
interface FormValues {
  zoneId: string;
  measure: string;
  services: string[];
  operatorIds: string[];
  startsAt: string;
  endsAt: string;
  legalBasis: string;
  reasons: string;
  exemptCells: string;
  coverage: string;
}

const STATUS_COLOURS: Record<string, string> = {
  pending: '#d97706',
  suspended: '#0f766e',
  failed: '#b42323',
  restored: '#6b7785',
};

const localUtc = (iso: string) => iso.slice(0, 16);

function fromForm(form: Record<string, string | File | (string | File)[]>): FormValues {
  const one = (k: string) => {
    const v = form[k];
    return typeof v === 'string' ? v : '';
  };
  const many = (k: string) => {
    const v = form[k];
    return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(
      (x): x is string => typeof x === 'string',
    );
  };
  return {
    zoneId: one('zoneId'),
    measure: one('measure'),
    services: many('services'),
    operatorIds: many('operatorIds'),
    startsAt: one('startsAt'),
    endsAt: one('endsAt'),
    legalBasis: one('legalBasis'),
    reasons: one('reasons'),
    exemptCells: one('exemptCells'),
    coverage: one('coverage') || 'inside',
  };
}

/** `datetime-local` carries no zone; the form labels it UTC, so it is read as UTC. */
function utc(v: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v) ? `${v}:00Z` : v;
}

function toDraft(v: FormValues): DraftOrderInput {
  return {
    zoneId: v.zoneId,
    measure: v.measure,
    services: v.services,
    operatorIds: v.operatorIds,
    startsAt: utc(v.startsAt),
    endsAt: utc(v.endsAt),
    legalBasis: v.legalBasis,
    reasons: v.reasons,
    exemptCells: v.exemptCells.split(/[\s,]+/).filter(Boolean),
    coverage: v.coverage,
  };
}

function fromOrder(o: OrderView): FormValues {
  return {
    zoneId: o.zone.id,
    measure: o.measure,
    services: o.services,
    operatorIds: o.operatorIds,
    startsAt: localUtc(o.startsAt),
    endsAt: localUtc(o.endsAt),
    legalBasis: o.legalBasis,
    reasons: o.reasons,
    exemptCells: o.exemptCells.join('\n'),
    coverage: o.coverage,
  };
}

async function colours(c: PageCtx) {
  const operators = await operatorDirectory(c.get('deps').db);
  return {
    operators,
    colour: new Map(operators.map((o, i) => [o.id, PALETTE[i % PALETTE.length] ?? '#333'])),
    name: new Map(operators.map((o) => [o.id, o.name])),
  };
}

/** The impact preview: which cells of which operators the draft would freeze if approved now. */
async function Preview({ c, v }: { c: PageCtx; v: FormValues }) {
  const db = c.get('deps').db;
  const zone = await getZone(db, { zoneId: v.zoneId });
  const cells = await affectedCells(db, {
    zone_id: zone.id,
    zone_version: zone.version,
    coverage: (COVERAGE_MODES as readonly string[]).includes(v.coverage) ? v.coverage : 'inside',
    operator_ids: v.operatorIds,
    exempt_cells: toDraft(v).exemptCells ?? [],
  });
  const { colour, name } = await colours(c);
  const byOperator = new Map<string, number>();
  for (const x of cells) byOperator.set(x.operatorId, (byOperator.get(x.operatorId) ?? 0) + 1);
  return (
    <section class="card" id="impact">
      <h2>Impact preview: {cells.length} cells</h2>
      <div class="grid">
        <ZoneMap
          geometry={zone.geometry}
          title={`Cells affected in ${zone.name}`}
          points={cells.map((x) => ({
            lon: x.lon,
            lat: x.lat,
            color: colour.get(x.operatorId) ?? '#333',
            label: `${name.get(x.operatorId)} ${x.cellId}`,
          }))}
        />
        <table>
          <thead>
            <tr>
              <th>Operator</th>
              <th>Cells</th>
            </tr>
          </thead>
          <tbody>
            {v.operatorIds.map((id) => (
              <tr>
                <td>{name.get(id) ?? id}</td>
                <td>{byOperator.get(id) ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="muted small">
        Computed from the operators' current cell lists; the list is frozen when the order is
        approved.
      </p>
    </section>
  );
}

async function OrderForm({
  c,
  v,
  action,
  title,
  error,
  preview,
}: {
  c: PageCtx;
  v: FormValues;
  action: string;
  title: string;
  error?: ReturnType<typeof errorView>;
  preview: boolean;
}) {
  const db = c.get('deps').db;
  const [zones, { operators }] = await Promise.all([listZones(db), colours(c)]);
  const maxDays = c.get('deps').config.ORDER_MAX_DAYS;
  return (
    <Layout title={title} user={layoutUser(c)} active="/console/orders">
      <h1>{title}</h1>
      <Errors message={error?.message} errors={error?.errors} />
      {preview && v.zoneId && <Preview c={c} v={v} />}
      <form class="stack card" method="post" action={action}>
        <CsrfField token={c.get('user').csrfToken} />
        <div class="row">
          <div>
            <label for="zoneId">Zone</label>
            <select id="zoneId" name="zoneId" required>
              <option value="">Choose a zone…</option>
              {zones.map((z) => (
                <option value={z.id} selected={v.zoneId === z.id}>
                  {z.name} (v{z.version}, {z.riskLevel})
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="measure">Measure</label>
            <select id="measure" name="measure">
              {MEASURES.map((m) => (
                <option value={m} selected={v.measure === m}>
                  {m.replaceAll('_', ' ')}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="coverage">Cells</label>
            <select id="coverage" name="coverage">
              <option value="inside" selected={v.coverage === 'inside'}>
                sites inside the zone
              </option>
              <option value="reach" selected={v.coverage === 'reach'}>
                also sites whose coverage reaches it
              </option>
            </select>
          </div>
        </div>
        <fieldset class="checks">
          <legend>Services</legend>
          {SERVICES.map((s) => (
            <label>
              <input type="checkbox" name="services" value={s} checked={v.services.includes(s)} />{' '}
              {s}
            </label>
          ))}
        </fieldset>
        <fieldset class="checks">
          <legend>Operators</legend>
          {operators.map((o) => (
            <label>
              <input
                type="checkbox"
                name="operatorIds"
                value={o.id}
                checked={v.operatorIds.includes(o.id)}
              />{' '}
              {o.name} ({o.country})
            </label>
          ))}
        </fieldset>
        <div class="row">
          <div>
            <label for="startsAt">Starts (UTC)</label>
            <input
              type="datetime-local"
              id="startsAt"
              name="startsAt"
              value={v.startsAt}
              required
            />
          </div>
          <div>
            <label for="endsAt">Ends (UTC, at most {maxDays} days later)</label>
            <input type="datetime-local" id="endsAt" name="endsAt" value={v.endsAt} required />
          </div>
        </div>
        <label for="legalBasis">Legal basis</label>
        <input type="text" id="legalBasis" name="legalBasis" value={v.legalBasis} />
        <label for="reasons">Written reasons (at least 20 characters)</label>
        <textarea id="reasons" name="reasons">
          {v.reasons}
        </textarea>
        <label for="exemptCells">
          Exempt cells (hospitals, security posts): cell ids, one per line
        </label>
        <textarea id="exemptCells" name="exemptCells">
          {v.exemptCells}
        </textarea>
        <p class="actions">
          <button class="secondary" type="submit" name="intent" value="preview">
            Preview impact
          </button>
          <button type="submit" name="intent" value="save">
            {action.endsWith('/amend') ? 'Submit amendment for approval' : 'Save draft'}
          </button>
        </p>
      </form>
    </Layout>
  );
}

const ACTION_LABELS: Record<
  string,
  { label: string; note: 'required' | 'optional' | 'none'; kind: string }
> = {
  submit: { label: 'Submit for approval', note: 'none', kind: '' },
  approve: { label: 'Approve and issue', note: 'optional', kind: '' },
  reject: { label: 'Reject', note: 'required', kind: 'danger' },
  withdraw: { label: 'Withdraw', note: 'none', kind: 'secondary' },
  lift: { label: 'Lift now', note: 'required', kind: 'danger' },
};

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

async function detailPage(c: PageCtx, orderId: string, error?: ReturnType<typeof errorView>) {
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
  const actions = o.allowedActions.filter((a) => a !== 'amend');
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
      {(actions.length > 0 || o.allowedActions.includes('amend')) && (
        <section class="card">
          <h2>Actions</h2>
          <div class="actions">
            {actions.map((a) => {
              const meta = ACTION_LABELS[a] ?? { label: a, note: 'none', kind: '' };
              return (
                <form method="post" action={`/console/orders/${o.id}/${a}`}>
                  <CsrfField token={c.get('user').csrfToken} />
                  {meta.note !== 'none' && (
                    <textarea
                      name="note"
                      aria-label={`Note for ${a}`}
                      placeholder={
                        meta.note === 'required' ? 'Reason (required)' : 'Note (optional)'
                      }
                      required={meta.note === 'required'}
                    />
                  )}
                  <button class={meta.kind} type="submit">
                    {meta.label}
                  </button>
                </form>
              );
            })}
            {o.allowedActions.includes('amend') && (
              <a class="button secondary" href={`/console/orders/${o.id}/amend`}>
                Amend (new version)
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
          <table>
            <thead>
              <tr>
                <th>Operator</th>
                <th>Cell</th>
                <th>Radio</th>
                <th>Status</th>
                <th>Cause</th>
                <th>Reported</th>
              </tr>
            </thead>
            <tbody>
              {cells.map((x) => (
                <tr>
                  <td>{name.get(x.operatorId) ?? x.operatorId}</td>
                  <td>
                    <code>{x.cellId}</code>
                  </td>
                  <td>{x.radio}</td>
                  <td>
                    <Badge value={x.status} />
                  </td>
                  <td>{x.cause ?? ''}</td>
                  <td class="small">{when(x.reportedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
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

export function mountOrderPages(app: Router): void {
  app.get('/console/orders', page(), async (c) => {
    const ctx = ordersCtx(c);
    let status: ReturnType<typeof parseStatusFilter>;
    try {
      status = parseStatusFilter(c.req.query('status'));
    } catch {
      status = undefined;
    }
    const orders = await listOrders(ctx.db, { now: ctx.now, status });
    const current = c.req.query('status') ?? '';
    const filters = [
      ['', 'all'],
      ['active', 'active'],
      ['scheduled', 'scheduled'],
      ['pending_approval', 'awaiting approval'],
      ['draft', 'drafts'],
      ['lifted,expired', 'ended'],
      ['rejected,withdrawn,superseded', 'closed'],
    ] as const;
    return c.html(
      <Layout title="Orders" user={layoutUser(c)} active="/console/orders">
        <h1>Suspension orders</h1>
        <p class="actions filters">
          {filters.map(([f, label]) => (
            <a
              href={f ? `/console/orders?status=${f}` : '/console/orders'}
              class={current === f ? 'on' : ''}
            >
              {label}
            </a>
          ))}
          {(c.get('user').role === 'officer' || c.get('user').role === 'admin') && (
            <a class="button" href="/console/orders/new">
              New order
            </a>
          )}
        </p>
        <section class="card">
          {orders.length === 0 ? (
            <p class="muted">No orders.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Order</th>
                  <th>Zone</th>
                  <th>Measure</th>
                  <th>Period</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {orders.map((o) => (
                  <tr>
                    <td>
                      <a href={`/console/orders/${o.id}`}>{o.reference}</a>{' '}
                      <span class="muted small">v{o.version}</span>
                    </td>
                    <td>{o.zoneName}</td>
                    <td>{o.measure.replaceAll('_', ' ')}</td>
                    <td class="small">
                      {when(o.startsAt)} → {when(o.endsAt)}
                    </td>
                    <td>
                      <Badge value={o.status} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </Layout>,
    );
  });

  const drafting = page({ roles: ['officer', 'admin'] });

  app.get('/console/orders/new', drafting, async (c) => {
    const now = c.get('deps').clock();
    const start = new Date(Math.ceil(now.getTime() / 3_600_000) * 3_600_000 + 3_600_000);
    const v: FormValues = {
      zoneId: c.req.query('zoneId') ?? '',
      measure: 'full_suspension',
      services: ['voice', 'sms', 'data'],
      operatorIds: [],
      startsAt: localUtc(start.toISOString()),
      endsAt: localUtc(new Date(start.getTime() + 7 * 86_400_000).toISOString()),
      legalBasis: '',
      reasons: '',
      exemptCells: '',
      coverage: 'inside',
    };
    return c.html(
      await OrderForm({ c, v, action: '/console/orders', title: 'New order', preview: false }),
    );
  });

  app.post('/console/orders', drafting, async (c) => {
    const form = await c.req.parseBody({ all: true });
    const v = fromForm(form);
    if (form.intent === 'preview')
      return c.html(
        await OrderForm({ c, v, action: '/console/orders', title: 'New order', preview: true }),
      );
    try {
      const order = await draftOrder({ ctx: ordersCtx(c), input: toDraft(v) });
      return c.redirect(`/console/orders/${order.id}?done=drafted`, 303);
    } catch (err) {
      const error = errorView(err);
      return c.html(
        await OrderForm({
          c,
          v,
          action: '/console/orders',
          title: 'New order',
          error,
          preview: false,
        }),
        400,
      );
    }
  });

  const deciding = page({ roles: ['approver', 'admin'] });

  app.get('/console/orders/:id/amend', deciding, async (c) => {
    const ctx = ordersCtx(c);
    const o = await getOrder(ctx.db, { ...ctx, orderId: c.req.param('id') });
    return c.html(
      await OrderForm({
        c,
        v: fromOrder(o),
        action: `/console/orders/${o.id}/amend`,
        title: `Amend ${o.reference} (v${o.version} → v${o.version + 1})`,
        preview: true,
      }),
    );
  });

  app.post('/console/orders/:id/amend', deciding, async (c) => {
    const ctx = ordersCtx(c);
    const id = c.req.param('id');
    const form = await c.req.parseBody({ all: true });
    const v = fromForm(form);
    const title = 'Amend order';
    if (form.intent === 'preview')
      return c.html(
        await OrderForm({ c, v, action: `/console/orders/${id}/amend`, title, preview: true }),
      );
    try {
      const current = fromOrder(await getOrder(ctx.db, { ...ctx, orderId: id }));
      const next = toDraft(v);
      const before = toDraft(current);
      const changes = Object.fromEntries(
        Object.entries(next).filter(
          ([k, val]) => JSON.stringify(val) !== JSON.stringify(before[k as keyof DraftOrderInput]),
        ),
      ) as Partial<DraftOrderInput>;
      const order = await amendOrder({ ctx, input: { orderId: id, changes } });
      return c.redirect(`/console/orders/${order.id}?done=amendment+submitted`, 303);
    } catch (err) {
      const error = errorView(err);
      return c.html(
        await OrderForm({
          c,
          v,
          action: `/console/orders/${id}/amend`,
          title,
          error,
          preview: false,
        }),
        400,
      );
    }
  });

  app.get('/console/orders/:id', page(), async (c) => {
    try {
      return c.html(await detailPage(c, c.req.param('id')));
    } catch (err) {
      const e = errorView(err);
      return c.html(
        <Layout title="Order" user={layoutUser(c)} active="/console/orders">
          <Errors message={e.message} />
        </Layout>,
        404,
      );
    }
  });

  app.post(
    '/console/orders/:id/:action{submit|approve|reject|withdraw|lift}',
    page(),
    async (c) => {
      const action = c.req.param('action') as 'submit' | 'approve' | 'reject' | 'withdraw' | 'lift';
      const form = await c.req.parseBody();
      const id = c.req.param('id');
      try {
        await actOnOrder({
          ctx: ordersCtx(c),
          input: {
            orderId: id,
            action,
            note: typeof form.note === 'string' ? form.note : undefined,
          },
        });
        const past = {
          submit: 'submitted',
          approve: 'approved',
          reject: 'rejected',
          withdraw: 'withdrawn',
          lift: 'lifted',
        }[action];
        return c.redirect(`/console/orders/${id}?done=${past}`, 303);
      } catch (err) {
        const error = errorView(err);
        return c.html(await detailPage(c, id, error), 400);
      }
    },
  );
}
