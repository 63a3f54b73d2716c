import type { Router } from '../platform/http/app.js';
import { listOrders } from '../suspensions/order-queries.js';
import { ordersCtx, parseStatusFilter } from '../suspensions/request-context.js';
import { Layout } from './layout.js';
import { layoutUser, page } from './pages.js';
import { OrderTable } from './tables.js';

/** The order list with its status filters. */
export function mountOrderListPage(app: Router): void {
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
          <OrderTable orders={orders} empty="No orders." />
        </section>
      </Layout>,
    );
  });
}
