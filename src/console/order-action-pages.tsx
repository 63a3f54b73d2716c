import type { Router } from '../platform/http/app.js';
import { type OrderVerb, SIMPLE_ORDER_ACTIONS } from '../suspensions/order-actions.js';
import { actOnOrder, reviewOrder } from '../suspensions/orders.js';
import { ordersCtx } from '../suspensions/request-context.js';
import { Errors, Layout } from './layout.js';
import { detailPage, doneUrl } from './order-detail.js';
import { errorView, layoutUser, page } from './pages.js';

/** An order's page and the forms its action buttons post, one route per action in the table. */
export function mountOrderActionPages(app: Router): void {
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

  app.post(`/console/orders/:id/${'review' satisfies OrderVerb}`, page(), async (c) => {
    const form = await c.req.parseBody();
    const id = c.req.param('id');
    try {
      await reviewOrder({
        ctx: ordersCtx(c),
        input: { orderId: id, note: typeof form.note === 'string' ? form.note : undefined },
      });
      return c.redirect(doneUrl(id, 'review'), 303);
    } catch (err) {
      return c.html(await detailPage(c, id, errorView(err)), 400);
    }
  });

  for (const action of SIMPLE_ORDER_ACTIONS) {
    app.post(`/console/orders/:id/${action}`, page(), async (c) => {
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
        return c.redirect(doneUrl(id, action), 303);
      } catch (err) {
        const error = errorView(err);
        return c.html(await detailPage(c, id, error), 400);
      }
    });
  }
}
