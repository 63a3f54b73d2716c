import { CONSOLE_ROLES } from '../access/roles.js';
import { createUser, disableUser, listUsers } from '../access/users.js';
import type { Router } from '../platform/http/app.js';
import { Badge, CsrfField, Errors, Layout, Notice, when } from './layout.js';
import { errorView, layoutUser, type PageCtx, page } from './pages.js';

async function usersPage(
  c: PageCtx,
  opts: {
    created?: { username: string; oneTimePassword: string };
    error?: ReturnType<typeof errorView>;
    notice?: string;
  } = {},
) {
  const users = await listUsers(c.get('deps').db);
  const me = c.get('user');
  const admin = me.role === 'admin';
  return (
    <Layout title="Users" user={layoutUser(c)} active="/console/users">
      <h1>Users</h1>
      <Errors message={opts.error?.message} errors={opts.error?.errors} />
      <Notice message={opts.notice} />
      {opts.created && (
        <div class="alert ok" role="status" id="one-time-password">
          <strong>{opts.created.username}</strong> can log in once with the password{' '}
          <code>{opts.created.oneTimePassword}</code> and must then choose their own. It is not
          shown again.
        </div>
      )}
      <div class="grid">
        <section class="card">
          <table>
            <thead>
              <tr>
                <th>Username</th>
                <th>Role</th>
                <th>Since</th>
                <th>State</th>
                {admin && <th />}
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr>
                  <td>{u.username}</td>
                  <td>{u.role}</td>
                  <td class="small">{when(u.created_at.toISOString())}</td>
                  <td>
                    {u.disabled_at ? (
                      <Badge value="withdrawn" />
                    ) : u.must_change_password ? (
                      <span class="small muted">awaiting first login</span>
                    ) : (
                      <Badge value="active" />
                    )}
                  </td>
                  {admin && (
                    <td>
                      {!u.disabled_at && u.id !== me.id && (
                        <form method="post" action={`/console/users/${u.id}/disable`}>
                          <CsrfField token={me.csrfToken} />
                          <button class="secondary" type="submit">
                            Disable
                          </button>
                        </form>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        {admin && (
          <section class="card">
            <h2>New user</h2>
            <form class="stack" method="post" action="/console/users">
              <CsrfField token={me.csrfToken} />
              <label for="username">Username</label>
              <input type="text" id="username" name="username" required />
              <label for="role">Role</label>
              <select id="role" name="role">
                {CONSOLE_ROLES.map((r) => (
                  <option value={r}>{r}</option>
                ))}
              </select>
              <p>
                <button type="submit">Create user</button>
              </p>
            </form>
          </section>
        )}
      </div>
    </Layout>
  );
}

export function mountUserPages(app: Router): void {
  app.get('/console/users', page({ roles: ['admin', 'auditor'] }), async (c) =>
    c.html(await usersPage(c)),
  );

  app.post('/console/users', page({ roles: ['admin'] }), async (c) => {
    const form = await c.req.parseBody();
    const deps = c.get('deps');
    try {
      const created = await createUser({
        ctx: { db: deps.db, now: deps.clock(), actor: c.get('user').id },
        input: { username: String(form.username ?? ''), role: String(form.role ?? '') },
      });
      return c.html(await usersPage(c, { created }), 201);
    } catch (err) {
      return c.html(await usersPage(c, { error: errorView(err) }), 400);
    }
  });

  app.post('/console/users/:id/disable', page({ roles: ['admin'] }), async (c) => {
    const deps = c.get('deps');
    try {
      await disableUser({
        ctx: { db: deps.db, now: deps.clock(), actor: c.get('user').id },
        input: { userId: c.req.param('id') },
      });
      return c.html(await usersPage(c, { notice: 'User disabled; their sessions have ended.' }));
    } catch (err) {
      return c.html(await usersPage(c, { error: errorView(err) }), 400);
    }
  });
}
