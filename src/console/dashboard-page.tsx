import { registrationCounts } from '../registration/queries.js';
import { DAY_MS } from '../suspensions/lifecycle.js';
import { listOrders, overdueAcknowledgements, reviewsDue } from '../suspensions/order-queries.js';
import type { OrdersCtx } from '../suspensions/orders.js';
import type { DashboardPanel } from './dashboard.js';
import { Badge, Layout, when } from './layout.js';
import type { PageCtx } from './pages.js';
import { layoutUser } from './pages.js';
import { OrderTable } from './tables.js';

export async function dashboardPage(c: PageCtx, ctx: OrdersCtx, panels: DashboardPanel[]) {
  const deps = c.get('deps');
  const [current, pending, overdue, reviews, registrations] = await Promise.all([
    listOrders(ctx.db, { now: ctx.now, status: ['active', 'scheduled'] }),
    listOrders(ctx.db, { now: ctx.now, status: ['pending_approval'] }),
    overdueAcknowledgements(ctx.db, { now: ctx.now, ackDeadlineMs: ctx.ackDeadlineMs }),
    reviewsDue(ctx.db, { now: ctx.now, reviewWithinMs: ctx.reviewWithinMs, horizonMs: DAY_MS }),
    registrationCounts(ctx.db, { now: ctx.now }),
  ]);
  const extra = await Promise.all(
    panels.map(async (p) => ({
      title: p.title,
      body: await p.render({ deps, user: c.get('user'), now: ctx.now }),
    })),
  );
  const active = current.filter((o) => o.status === 'active');
  const upcoming = current.filter((o) => o.status === 'scheduled');
  return (
    <Layout title="Dashboard" user={layoutUser(c)} active="/console">
      <h1>Dashboard</h1>
      <p class="muted small">As of {when(ctx.now.toISOString())}</p>
      <div class="grid">
        <section class="card" id="active-orders">
          <h2>Active orders ({active.length})</h2>
          <OrderTable orders={active} empty="No order is in force." compact />
        </section>
        <section class="card" id="upcoming-orders">
          <h2>Upcoming orders ({upcoming.length})</h2>
          <OrderTable orders={upcoming} empty="No order is scheduled." compact />
        </section>
        <section class="card" id="pending-orders">
          <h2>Awaiting approval ({pending.length})</h2>
          <OrderTable orders={pending} empty="Nothing awaits approval." compact />
        </section>
        <section class="card" id="overdue-operators">
          <h2>Overdue acknowledgements ({overdue.length})</h2>
          {overdue.length === 0 ? (
            <p class="muted">Every operator has acknowledged its orders in time.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Operator</th>
                  <th>Order</th>
                  <th>Due</th>
                </tr>
              </thead>
              <tbody>
                {overdue.map((o) => (
                  <tr>
                    <td>
                      {o.operatorName} <Badge value="overdue" />
                    </td>
                    <td>
                      <a href={`/console/orders/${o.orderId}`}>{o.reference}</a>
                    </td>
                    <td class="small">{when(o.dueAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section class="card" id="reviews-due">
          <h2>Reviews due within a day ({reviews.length})</h2>
          {reviews.length === 0 ? (
            <p class="muted">No order awaits its review.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Order</th>
                  <th>Review due</th>
                </tr>
              </thead>
              <tbody>
                {reviews.map((r) => (
                  <tr>
                    <td class="nowrap">
                      <a href={`/console/orders/${r.orderId}`}>{r.reference}</a>
                      {r.version > 1 && <span class="muted small"> v{r.version}</span>}
                    </td>
                    <td class="small">
                      {when(r.dueAt)} {r.overdue && <Badge value="overdue" />}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section class="card" id="registrations">
          <h2>SIM registrations</h2>
          <table>
            <thead>
              <tr>
                <th>Operator</th>
                <th>Country</th>
                <th>Active</th>
                <th>Last 24 h</th>
              </tr>
            </thead>
            <tbody>
              {registrations.map((r) => (
                <tr>
                  <td>{r.name}</td>
                  <td>{r.country}</td>
                  <td>{r.active}</td>
                  <td>{r.last24h}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        {extra.map((p) => (
          <section class="card">
            <h2>{p.title}</h2>
            {p.body}
          </section>
        ))}
      </div>
    </Layout>
  );
}
