import type { Child } from 'hono/jsx';
import type { ConsoleUser } from '../access/users.js';
import type { AppDeps } from '../platform/http/context.js';

/**
 * A card on the console dashboard contributed by another domain (e.g. the scorer's recent
 * alerts): pass it to `mountConsole(app, { dashboardPanels })` in app.ts. `render` runs on every
 * dashboard view with the request's deps, user and time.
 */
export interface DashboardPanel {
  title: string;
  render(ctx: { deps: AppDeps; user: ConsoleUser; now: Date }): Promise<Child>;
}
