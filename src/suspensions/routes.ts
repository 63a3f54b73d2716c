import type { Router } from '../platform/http/app.js';
import { mountOperatorRoutes } from './routes/operator.js';
import { mountOrderActionRoutes } from './routes/order-actions.js';
import { mountOrderRoutes } from './routes/orders.js';
import { mountPublicRoutes } from './routes/public.js';
import { mountZoneRoutes } from './routes/zones.js';

/** The suspensions API, one file per resource under `routes/`. */
export function mountSuspensionRoutes(app: Router): void {
  mountZoneRoutes(app);
  mountOrderRoutes(app);
  mountOrderActionRoutes(app);
  mountOperatorRoutes(app);
  mountPublicRoutes(app);
}
