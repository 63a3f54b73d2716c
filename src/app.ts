import { mountAuthRoutes } from './access/auth-routes.js';
import { actorLogFields, auditAccessDenied } from './access/middleware.js';
import { mountUserRoutes } from './access/user-routes.js';
import { recentAlertsPanel } from './console/alerts-panel.js';
import { mountConsole } from './console/pages.js';
import { mountTaxiiRoutes, taxiiErrorFormat } from './federation/routes.js';
import { createApp } from './platform/http/app.js';
import type { AppDeps } from './platform/http/context.js';
import { mountSystemRoutes } from './platform/http/system-routes.js';
import { mountRegistrationRoutes } from './registration/routes.js';
import { MAX_CDR_BODY_BYTES } from './scoring/contract.js';
import { mountGroupAlertRoutes } from './scoring/group-routes.js';
import { HttpScorer } from './scoring/pipeline.js';
import { mountScoringRoutes } from './scoring/routes.js';
import { MAX_OPERATOR_UPLOAD_BYTES } from './suspensions/cells.js';
import { registerOrderMetrics } from './suspensions/metrics.js';
import { mountSuspensionRoutes } from './suspensions/routes.js';
import { mountWatchlistRoutes } from './watchlist/routes.js';
import { mountWebhookRoutes } from './webhooks/routes.js';

/** The whole HTTP surface: every domain mounts its routes on one app. */
export function buildApp(deps: AppDeps) {
  const app = createApp(deps, {
    bodyLimits: [
      { path: /^\/v1\/cdrs$/, bytes: MAX_CDR_BODY_BYTES },
      { path: /^\/v1\/operator\//, bytes: MAX_OPERATOR_UPLOAD_BYTES },
    ],
    onAccessDenied: auditAccessDenied,
    logFields: actorLogFields,
    errorFormats: [taxiiErrorFormat],
  });
  mountSystemRoutes(app);
  mountRegistrationRoutes(app);
  mountScoringRoutes(
    app,
    new HttpScorer(deps.db, deps.log, {
      allowedLatenessMs: deps.config.SCORING_LATENESS_MS,
      reloadMs: deps.config.SCORING_RELOAD_MS,
      watchlistReloadMs: deps.config.WATCHLIST_RELOAD_MS,
      maxFutureSkewMs: deps.config.SCORING_MAX_FUTURE_SKEW_MS,
      groups: deps.config.SCORING_GROUPS,
    }),
  );
  mountGroupAlertRoutes(app);
  mountAuthRoutes(app);
  mountUserRoutes(app);
  mountSuspensionRoutes(app);
  mountWatchlistRoutes(app);
  mountWebhookRoutes(app);
  mountTaxiiRoutes(app);
  registerOrderMetrics(deps);
  mountConsole(app, { dashboardPanels: [recentAlertsPanel] });
  return app;
}

/** A process without the api role serves only health, readiness and metrics, for its probes. */
export function buildProbeApp(deps: AppDeps) {
  const app = createApp(deps);
  mountSystemRoutes(app);
  return app;
}
