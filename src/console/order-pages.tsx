import type { Router } from '../platform/http/app.js';
import { getOrder, listOrders } from '../suspensions/order-queries.js';
import {
  actOnOrder,
  amendOrder,
  type DraftOrderInput,
  draftOrder,
  reviewOrder,
} from '../suspensions/orders.js';
import { ordersCtx, parseStatusFilter } from '../suspensions/request-context.js';
import { Badge, Errors, Layout, when } from './layout.js';
import { detailPage } from './order-detail.js';
import {
  type FormValues,
  fromForm,
  fromOrder,
  localUtc,
  OrderForm,
  toDraft,
} from './order-form.js';
import { errorView, layoutUser, page } from './pages.js';

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

  app.post('/console/orders/:id/review', page(), async (c) => {
    const form = await c.req.parseBody();
    const id = c.req.param('id');
    try {
      await reviewOrder({
        ctx: ordersCtx(c),
        input: { orderId: id, note: typeof form.note === 'string' ? form.note : undefined },
      });
      return c.redirect(`/console/orders/${id}?done=reviewed`, 303);
    } catch (err) {
      return c.html(await detailPage(c, id, errorView(err)), 400);
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
