import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import { CSRF_FIELD } from '../access/middleware.js';
import type { ConsoleRole } from '../access/roles.js';
import { GROUP_ALERT_READERS } from '../scoring/group-alerts.js';

/** The tab icon inline (a red dot), so no page asks for a /favicon.ico there is none of. */
const ICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='6' fill='%23b3261e'/%3E%3C/svg%3E";

/** Served from this process (`/console/assets/console.css`): the console needs no internet. */
export const CONSOLE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1d2733;background:#f3f5f8}
a{color:#0b5cad;text-decoration:none}a:hover{text-decoration:underline}
header.top{display:flex;align-items:center;gap:1.5rem;padding:.6rem 1.5rem;background:#14283f;color:#fff}
header.top .brand{font-weight:700;letter-spacing:.02em;color:#fff}
header.top nav a{color:#cfe0f5;margin-right:1rem}header.top nav a.on{color:#fff;font-weight:600}
header.top .who{margin-left:auto;display:flex;gap:.8rem;align-items:center;font-size:.9rem;color:#cfe0f5}
header.top .who form{margin:0}
main{max-width:1180px;margin:1.5rem auto;padding:0 1.5rem}
h1{font-size:1.5rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:0 0 .7rem}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(min(400px,100%),1fr))}
.card{background:#fff;border:1px solid #dbe2ea;border-radius:8px;padding:1rem 1.2rem;margin-bottom:1rem}
table{width:100%;border-collapse:collapse;font-size:.92rem}
table+h2{margin-top:1.4rem}.nowrap{white-space:nowrap}
.filters a.on{font-weight:700;color:#1d2733}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e6ebf0;vertical-align:top}
th{font-weight:600;color:#4a5868;background:#f8fafc}
.muted{color:#6b7785}.small{font-size:.85rem}
.badge{display:inline-block;padding:.08rem .5rem;border-radius:999px;font-size:.78rem;font-weight:600;background:#e6ebf0;color:#334}
.b-active{background:#d9f2e3;color:#0f6b37}.b-scheduled{background:#dcebfb;color:#0b4f93}
.b-pending_approval{background:#fff1cc;color:#7a5700}.b-draft{background:#eceff3;color:#4a5868}
.b-rejected,.b-failed,.b-overdue{background:#fde1e1;color:#a01d1d}.b-lifted,.b-expired,.b-withdrawn,.b-superseded,.b-restored{background:#eceff3;color:#55606d}
.b-suspended{background:#d9f2e3;color:#0f6b37}.b-pending{background:#fff1cc;color:#7a5700}.b-high{background:#fde1e1;color:#a01d1d}.b-medium{background:#fff1cc;color:#7a5700}
form.stack label{display:block;font-weight:600;margin:.7rem 0 .25rem}
input[type=text],input[type=password],input[type=datetime-local],select,textarea{width:100%;padding:.45rem .55rem;border:1px solid #b9c4d0;border-radius:6px;font:inherit;background:#fff}
textarea{min-height:6rem}textarea.code{font:13px/1.4 ui-monospace,Menlo,Consolas,monospace;min-height:10rem}
.row{display:flex;gap:0 1rem;flex-wrap:wrap}.row>*{flex:1 1 200px}
fieldset.checks{border:none;padding:0;margin:.7rem 0 0}fieldset.checks legend{font-weight:600;padding:0;margin-bottom:.25rem}
form.stack .checks label{display:inline-flex;gap:.35rem;align-items:center;font-weight:400;margin:.2rem 1.2rem .2rem 0}
button,.button{display:inline-block;padding:.45rem 1rem;border-radius:6px;border:1px solid #0b5cad;background:#0b5cad;color:#fff;font:inherit;font-weight:600;cursor:pointer}
button.secondary{background:#fff;color:#0b5cad}button.danger{background:#b42323;border-color:#b42323}
button.link{background:none;border:none;color:#cfe0f5;padding:0;font-weight:400}
.actions{display:flex;gap:1rem;flex-wrap:wrap;align-items:flex-start}.actions form{background:#f8fafc;border:1px solid #e6ebf0;border-radius:6px;padding:.6rem;min-width:220px}
.actions textarea{min-height:3.5rem;margin:.3rem 0}
.alert{padding:.7rem 1rem;border-radius:6px;margin-bottom:1rem;border:1px solid}
.alert.error{background:#fdecec;border-color:#f3b8b8;color:#7d1616}.alert.ok{background:#e6f6ec;border-color:#b5e0c4;color:#0f5230}
.alert ul{margin:.3rem 0 0 1.2rem;padding:0}
.map{width:100%;height:auto;background:#eef3f8;border:1px solid #dbe2ea;border-radius:6px}
.map path{fill:rgba(200,40,40,.16);stroke:#b42323;stroke-width:1.5;fill-rule:evenodd}
.legend span{display:inline-flex;align-items:center;gap:.3rem;margin-right:1rem;font-size:.85rem}
.dot{width:.7rem;height:.7rem;border-radius:50%;display:inline-block}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;margin:0}dl.facts dt{color:#6b7785}dl.facts dd{margin:0}
ol.timeline{list-style:none;margin:0;padding:0}ol.timeline li{padding:.35rem 0 .35rem 1rem;border-left:2px solid #c9d4df;margin-left:.3rem}
.login{max-width:380px;margin:4rem auto}
.num{font-size:1.8rem;font-weight:700}
.tlp{display:inline-block;padding:.08rem .45rem;border-radius:4px;font:600 .78rem/1.3 ui-monospace,Menlo,Consolas,monospace;background:#000;white-space:nowrap}
.tlp-red{color:#ff2b2b}.tlp-amber,.tlp-amber-strict{color:#ffc000}.tlp-green{color:#33ff00}.tlp-clear{color:#fff}
.b-revoked,.b-closed{background:#eceff3;color:#55606d}.b-open,.b-false_positive{background:#fff1cc;color:#7a5700}.b-seen{background:#dcebfb;color:#0b4f93}
.field-error{color:#a01d1d;font-size:.88rem;margin:.25rem 0 0}
[aria-invalid=true]{border-color:#b42323;box-shadow:0 0 0 1px #b42323}
input[type=number]{width:100%;padding:.45rem .55rem;border:1px solid #b9c4d0;border-radius:6px;font:inherit;background:#fff}
.scroll{overflow-x:auto}.prewrap{white-space:pre-wrap}.value{overflow-wrap:anywhere}
.search-buttons{display:flex;gap:.6rem;align-items:flex-end}
details.card summary{cursor:pointer}details.card[open] summary{margin-bottom:.8rem}
h3{font-size:1rem;margin:.2rem 0 .4rem}#actions form+form{border-top:1px solid #e6ebf0;margin-top:1rem;padding-top:.6rem}
.glossary{grid-template-columns:repeat(auto-fit,minmax(min(420px,100%),1fr))}.glossary .wide{grid-column:1/-1}
.w-active{background:#dcebfb;color:#0b4f93}.w-suspended{background:#fff1cc;color:#7a5700}.w-revoked{background:#eceff3;color:#55606d}
@media (max-width:640px){header.top{flex-wrap:wrap;gap:.4rem 1rem;padding:.6rem 1rem}header.top .who{margin-left:0}header.top nav{display:flex;flex-wrap:wrap;gap:.2rem 0;flex:1 1 100%;min-width:0}main{padding:0 .8rem}.card{padding:.8rem}
table.cards thead{display:none}table.cards tr{display:block;border-bottom:1px solid #c9d4df;padding:.3rem 0}table.cards td{display:flex;gap:.6rem;border:none;padding:.15rem 0}
table.cards td::before{content:attr(data-label);flex:0 0 6.5rem;color:#6b7785;font-weight:600}
.glossary dl.facts{grid-template-columns:1fr;gap:.1rem}.glossary dl.facts dt{margin-top:.5rem;color:#1d2733;font-weight:600}}
`;

export const PALETTE = ['#0b5cad', '#d97706', '#7c3aed', '#0f766e', '#be185d', '#4d7c0f'];

export interface LayoutUser {
  username: string;
  role: ConsoleRole;
  csrfToken: string;
}

const NAV = [
  ['/console', 'Dashboard'],
  ['/console/zones', 'Zones'],
  ['/console/orders', 'Orders'],
  ['/console/partners', 'Partners'],
] as const;
const USERS_NAV = [['/console/users', 'Users']] as const;
const WATCHLIST_NAV = [['/console/watchlist', 'Watchlist']] as const;
const WATCHLIST_ROLES: readonly ConsoleRole[] = ['officer', 'analyst', 'auditor'];
const GROUPS_NAV = [['/console/groups', 'Campaigns']] as const;

export const Layout: FC<
  PropsWithChildren<{ title: string; user?: LayoutUser; active?: string }>
> = ({ title, user, active, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · simline console`}</title>
      <link rel="stylesheet" href="/console/assets/console.css" />
      <link rel="icon" href={ICON} />
    </head>
    <body>
      <header class="top">
        <a class="brand" href="/console">
          simline · regulator console
        </a>
        {user && (
          <nav>
            {[
              ...NAV,
              ...(WATCHLIST_ROLES.includes(user.role) ? WATCHLIST_NAV : []),
              ...(GROUP_ALERT_READERS.includes(user.role) ? GROUPS_NAV : []),
              ...(user.role === 'admin' || user.role === 'auditor' ? USERS_NAV : []),
            ].map(([href, label]) => (
              <a href={href} class={active === href ? 'on' : ''}>
                {label}
              </a>
            ))}
          </nav>
        )}
        {user && (
          <div class="who">
            <span>
              {user.username} · {user.role}
            </span>
            <form method="post" action="/console/logout">
              <CsrfField token={user.csrfToken} />
              <button class="link" type="submit">
                Log out
              </button>
            </form>
          </div>
        )}
      </header>
      <main>{children}</main>
    </body>
  </html>
);

export const CsrfField: FC<{ token: string }> = ({ token }) => (
  <input type="hidden" name={CSRF_FIELD} value={token} />
);

export const Badge: FC<{ value: string }> = ({ value }) => (
  <span class={`badge b-${value}`}>{value.replaceAll('_', ' ')}</span>
);

export const Errors: FC<{ message?: string; errors?: { path: string; message: string }[] }> = ({
  message,
  errors,
}) =>
  message ? (
    <div class="alert error" role="alert">
      <strong>{message}</strong>
      {errors && errors.length > 0 && (
        <ul>
          {errors.map((e) => (
            <li>
              {e.path ? <code>{e.path}</code> : null} {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  ) : null;

export const Notice: FC<{ message?: string }> = ({ message }) =>
  message ? (
    <div class="alert ok" role="status">
      {message}
    </div>
  ) : null;

/** "2026-11-25 10:05 UTC": the console shows and takes times in UTC. */
export function when(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '—';
}

export type { Child };
