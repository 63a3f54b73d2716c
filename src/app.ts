import { createApp } from './platform/http/app.js';
import type { AppDeps } from './platform/http/context.js';
import { mountSystemRoutes } from './platform/http/system-routes.js';
import { mountRegistrationRoutes } from './registration/routes.js';
import { HttpScorer } from './scoring/pipeline.js';
import { mountScoringRoutes } from './scoring/routes.js';

/** The whole HTTP surface: every domain mounts its routes on one app. */
export function buildApp(deps: AppDeps) {
  const app = createApp(deps);
  mountSystemRoutes(app);
  mountRegistrationRoutes(app);
  mountScoringRoutes(
    app,
    new HttpScorer(deps.db, deps.log, {
      allowedLatenessMs: deps.config.SCORING_LATENESS_MS,
      reloadMs: deps.config.SCORING_RELOAD_MS,
    }),
  );
  return app;
}
