import type { Router } from '../platform/http/app.js';
import { mountOrderActionPages } from './order-action-pages.js';
import { mountOrderFormPages } from './order-form-pages.js';
import { mountOrderListPage } from './order-list-page.js';

/** The console's order pages: the list, the order form (new, amend), an order and its actions. */
export function mountOrderPages(app: Router): void {
  mountOrderListPage(app);
  mountOrderFormPages(app);
  mountOrderActionPages(app);
}
