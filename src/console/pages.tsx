import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import {
  authenticate,
  clearSessionCookie,
  clientAddress,
  readSessionId,
  sessionPolicy,
  writeSessionCookie,
} from '../access/middleware.js';
import type { ConsoleRole } from '../access/roles.js';
import { changePassword, login, logout, MIN_PASSWORD_LENGTH } from '../access/users.js';
import { ServiceError } from '../platform/errors.js';
import type { Router } from '../platform/http/app.js';
import type { AppEnv } from '../platform/http/context.js';
import { ordersCtx } from '../suspensions/request-context.js';
import type { DashboardPanel } from './dashboard.js';
import { dashboardPage } from './dashboard-page.js';
import { mountGroupPages } from './group-pages.js';
import { CONSOLE_CSS, CsrfField, Errors, Layout, Notice } from './layout.js';
import { mountOrderPages } from './order-pages.js';
import { mountPartnerPages } from './partner-pages.js';
import { mountUserPages } from './user-pages.js';
import { mountWatchlistPages } from './watchlist-pages.js';
import { mountZonePages } from './zone-pages.js';

export type PageCtx = Context<AppEnv>;

/** Renders a ServiceError for a page: its detail and, for validation, each field. */
export function errorView(err: unknown): {
  message: string;
  errors?: { path: string; message: string }[];
} {
  if (!(err instanceof ServiceError)) throw err;
  const errors = (err.extra as { errors?: { path: string; message: string }[] }).errors;
  return { message: err.detail, errors };
}

/**
 * Page guard: like the API's, but answers with redirects and pages instead of problem+json.
 * Forms post the session's CSRF token in the `_csrf` field.
 */
export function page(opts: { roles?: readonly ConsoleRole[]; allowPasswordChange?: boolean } = {}) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const failure = await authenticate(c, opts);
    if (failure === 'none' || failure === 'expired')
      return c.redirect(failure === 'expired' ? '/console/login?expired=1' : '/console/login', 303);
    if (failure === 'password') return c.redirect('/console/password', 303);
    if (failure === 'csrf' || failure === 'role') {
      const message =
        failure === 'csrf'
          ? 'This form has expired or did not come from the console. Go back, reload and try again.'
          : 'Your role does not allow this.';
      return c.html(
        <Layout title="Not allowed">
          <Errors message={message} />
          <a href="/console">Back to the dashboard</a>
        </Layout>,
        403,
      );
    }
    await next();
  });
}

export function layoutUser(c: PageCtx) {
  const u = c.get('user');
  return { username: u.username, role: u.role, csrfToken: u.csrfToken };
}

const LoginPage = ({
  error,
  notice,
  username,
}: {
  error?: string;
  notice?: string;
  username?: string;
}) => (
  <Layout title="Log in">
    <div class="login card">
      <h1>Log in</h1>
      <Notice message={notice} />
      <Errors message={error} />
      <form class="stack" method="post" action="/console/login">
        <label for="username">Username</label>
        <input
          type="text"
          id="username"
          name="username"
          value={username ?? ''}
          autocomplete="username"
          required
        />
        <label for="password">Password</label>
        <input
          type="password"
          id="password"
          name="password"
          autocomplete="current-password"
          required
        />
        <p>
          <button type="submit">Log in</button>
        </p>
      </form>
    </div>
  </Layout>
);

export function mountConsole(app: Router, opts: { dashboardPanels?: DashboardPanel[] } = {}): void {
  const panels = opts.dashboardPanels ?? [];

  app.get('/console/assets/console.css', (c) =>
    c.body(CONSOLE_CSS, 200, {
      'Content-Type': 'text/css; charset=utf-8',
      'Cache-Control': 'public, max-age=3600',
    }),
  );

  app.use('/console/*', async (c, next) => {
    await next();
    c.header('X-Frame-Options', 'DENY');
    c.header(
      'Content-Security-Policy',
      "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
    );
    c.header('Referrer-Policy', 'same-origin');
    if (c.res.headers.get('content-type')?.startsWith('text/html'))
      c.header('Cache-Control', 'no-store');
  });

  app.get('/console/login', (c) =>
    c.html(
      <LoginPage
        notice={
          c.req.query('expired') ? 'Your session has expired; please log in again.' : undefined
        }
      />,
    ),
  );

  app.post('/console/login', async (c) => {
    /** Login CSRF: a browser that says the form came from another site is refused. */
    const site = c.req.header('sec-fetch-site');
    if (site && site !== 'same-origin' && site !== 'none')
      return c.html(<LoginPage error="Log in from the console's own page." />, 403);
    const form = await c.req.parseBody();
    const username = typeof form.username === 'string' ? form.username : '';
    const password = typeof form.password === 'string' ? form.password : '';
    const deps = c.get('deps');
    try {
      const res = await login({
        ctx: { db: deps.db, now: deps.clock(), policy: sessionPolicy(c) },
        input: {
          username,
          password,
          previousSessionId: readSessionId(c),
          clientAddress: clientAddress(c),
        },
      });
      writeSessionCookie(c, res.sessionId);
      return c.redirect(res.user.mustChangePassword ? '/console/password' : '/console', 303);
    } catch (err) {
      const { message } = errorView(err);
      const status = err instanceof ServiceError ? (err.status as 401 | 429) : 401;
      return c.html(<LoginPage error={message} username={username} />, status);
    }
  });

  app.post('/console/logout', page({ allowPasswordChange: true }), async (c) => {
    const deps = c.get('deps');
    await logout(deps.db, { user: c.get('user'), now: deps.clock() });
    clearSessionCookie(c);
    return c.redirect('/console/login', 303);
  });

  const PasswordPage = ({ c, error }: { c: PageCtx; error?: ReturnType<typeof errorView> }) => (
    <Layout title="Change password" user={layoutUser(c)}>
      <div class="login card">
        <h1>Choose your password</h1>
        {c.get('user').mustChangePassword && (
          <p class="muted">You logged in with a one-time password. Choose your own to continue.</p>
        )}
        <Errors message={error?.message} errors={error?.errors} />
        <form class="stack" method="post" action="/console/password">
          <CsrfField token={c.get('user').csrfToken} />
          <label for="currentPassword">Current password</label>
          <input
            type="password"
            id="currentPassword"
            name="currentPassword"
            autocomplete="current-password"
            required
          />
          <label for="newPassword">New password (at least {MIN_PASSWORD_LENGTH} characters)</label>
          <input
            type="password"
            id="newPassword"
            name="newPassword"
            autocomplete="new-password"
            required
          />
          <p>
            <button type="submit">Save password</button>
          </p>
        </form>
      </div>
    </Layout>
  );

  app.get('/console/password', page({ allowPasswordChange: true }), (c) =>
    c.html(<PasswordPage c={c} />),
  );

  app.post('/console/password', page({ allowPasswordChange: true }), async (c) => {
    const form = await c.req.parseBody();
    const deps = c.get('deps');
    try {
      await changePassword({
        ctx: { db: deps.db, now: deps.clock(), user: c.get('user') },
        input: {
          currentPassword: String(form.currentPassword ?? ''),
          newPassword: String(form.newPassword ?? ''),
        },
      });
      return c.redirect('/console', 303);
    } catch (err) {
      return c.html(<PasswordPage c={c} error={errorView(err)} />, 400);
    }
  });

  app.get('/console', page(), async (c) => c.html(await dashboardPage(c, ordersCtx(c), panels)));

  mountWatchlistPages(app);
  mountZonePages(app);
  mountOrderPages(app);
  mountUserPages(app);
  mountPartnerPages(app);
  mountGroupPages(app);
}
