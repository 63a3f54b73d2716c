import { mountAuthRoutes } from './console/auth-routes.js';
import { mountConsole } from './console/pages.js';
import { mountUserRoutes } from './console/user-routes.js';
import { createApp } from './platform/http/app.js';
import type { AppDeps } from './platform/http/context.js';
import { mountSystemRoutes } from './platform/http/system-routes.js';
import { mountRegistrationRoutes } from './registration/routes.js';
import { mountSuspensionRoutes } from './suspensions/routes.js';

/** The whole HTTP surface: every domain mounts its routes on one app. */
export function buildApp(deps: AppDeps) {
  const app = createApp(deps);
  mountSystemRoutes(app);
  mountRegistrationRoutes(app);
  mountAuthRoutes(app);
  mountUserRoutes(app);
  mountSuspensionRoutes(app);
  mountConsole(app, { dashboardPanels: [] });
  return app;
}
