import type { Router } from '../platform/http/app.js';
import { DAY_MS, HOUR_MS } from '../platform/time.js';
import { ORDER_ACTION_TABLE } from '../suspensions/order-actions.js';
import { getOrder } from '../suspensions/order-queries.js';
import { amendOrder, type DraftOrderInput, draftOrder } from '../suspensions/orders.js';
import { ordersCtx } from '../suspensions/request-context.js';
import { doneUrl } from './order-detail.js';
import {
  type FormValues,
  fromForm,
  fromOrder,
  localUtc,
  OrderForm,
  toDraft,
} from './order-form.js';
import { errorView, page } from './pages.js';

/** Drafting a new order and amending an issued one: the order form and its preview. */
export function mountOrderFormPages(app: Router): void {
  const drafting = page({ roles: ['officer', 'admin'] });

  app.get('/console/orders/new', drafting, async (c) => {
    const now = c.get('deps').clock();
    const start = new Date(Math.ceil(now.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS);
    const v: FormValues = {
      zoneId: c.req.query('zoneId') ?? '',
      measure: 'full_suspension',
      services: ['voice', 'sms', 'data'],
      operatorIds: [],
      startsAt: localUtc(start.toISOString()),
      endsAt: localUtc(new Date(start.getTime() + 7 * DAY_MS).toISOString()),
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

  const amending = page({ roles: ORDER_ACTION_TABLE.amend.roles });

  app.get('/console/orders/:id/amend', amending, async (c) => {
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

  app.post('/console/orders/:id/amend', amending, async (c) => {
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
      return c.redirect(doneUrl(order.id, 'amend'), 303);
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
}
