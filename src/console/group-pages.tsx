import { operatorDirectory } from '../access/queries.js';
import { NotFoundError, ServiceError } from '../platform/errors.js';
import type { Router } from '../platform/http/app.js';
import { GROUP_ALERT_READERS, getGroupAlert, listGroupAlerts } from '../scoring/group-alerts.js';
import type {
  GroupAlertDetail,
  GroupAlertSummary,
  GroupMemberView,
} from '../scoring/group-contract.js';
import { groupReadCtx } from '../scoring/request-context.js';
import { GROUP_RULE_CODES, type GroupRuleCode } from '../scoring/rules/index.js';
import { CHECK_TEXT, GROUP_ALERT_TEXT, groupKeyText } from './group-text.js';
import { Badge, Errors, Layout, when } from './layout.js';
import { layoutUser, type PageCtx, page } from './pages.js';

const PAGE_SIZE = 50;

/** A figure as the rules compare it: shares in per cent, counts whole, ratios to two decimals. */
function figure(feature: string, n: number): string {
  if (feature.endsWith('_share')) return `${Math.round(n * 100)}%`;
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

const OP_TEXT: Record<string, string> = { '>=': '≥', '<=': '≤', '>': '>' };

function day(iso: string): string {
  return iso.slice(0, 10);
}

async function operatorNames(c: PageCtx): Promise<Map<string, string>> {
  const rows = await operatorDirectory(c.get('deps').db);
  return new Map(rows.map((r) => [r.id, r.name]));
}

function operatorLabel(names: Map<string, string>, id: string | null): string {
  if (id === null) return 'unknown operator';
  return names.get(id) ?? id;
}

const ByOperator = ({
  g,
  names,
}: {
  g: Pick<GroupAlertSummary, 'operators'>;
  names: Map<string, string>;
}) => (
  <span class="small muted">
    {g.operators.map((o) => `${operatorLabel(names, o.operatorId)} ${o.memberLines}`).join(' · ')}
  </span>
);

const ListTable = ({ items, names }: { items: GroupAlertSummary[]; names: Map<string, string> }) =>
  items.length === 0 ? (
    <p class="muted">No coordinated campaign matches.</p>
  ) : (
    <div class="scroll">
      <table class="cards">
        <thead>
          <tr>
            <th>Campaign</th>
            <th>What the lines share</th>
            <th>Rule</th>
            <th>Day (UTC)</th>
            <th>Member lines</th>
            <th>Score</th>
            <th>Last grown</th>
          </tr>
        </thead>
        <tbody>
          {items.map((g) => (
            <tr>
              <td data-label="Campaign" class="nowrap">
                <a href={`/console/groups/${g.id}`}>#{g.id}</a>
              </td>
              <td data-label="Shared">{groupKeyText(g.groupKey)}</td>
              <td data-label="Rule">
                <span>
                  {GROUP_ALERT_TEXT[g.rule].label}
                  <br />
                  <code class="small">{g.rule}</code>
                </span>
              </td>
              <td data-label="Day" class="nowrap">
                {day(g.windowStart)}
              </td>
              <td data-label="Members">
                <span>
                  <strong>{g.memberLines}</strong> <ByOperator g={g} names={names} />
                </span>
              </td>
              <td data-label="Score">{g.score.toFixed(2)}</td>
              <td data-label="Last grown" class="small">
                {when(g.updatedAt)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );

function ruleFilter(value: string | undefined): GroupRuleCode | undefined {
  return (GROUP_RULE_CODES as readonly string[]).includes(value ?? '')
    ? (value as GroupRuleCode)
    : undefined;
}

async function listPage(c: PageCtx) {
  const rule = ruleFilter(c.req.query('rule'));
  const cursor = c.req.query('cursor');
  let result: Awaited<ReturnType<typeof listGroupAlerts>>;
  try {
    result = await listGroupAlerts({
      ctx: groupReadCtx(c),
      input: { rule, cursor, limit: PAGE_SIZE },
    });
  } catch (err) {
    if (!(err instanceof ServiceError) || err.code !== 'invalid_cursor') throw err;
    return c.redirect(rule ? `/console/groups?rule=${rule}` : '/console/groups', 303);
  }
  const names = await operatorNames(c);
  const next = result.next
    ? `/console/groups?${new URLSearchParams({ ...(rule ? { rule } : {}), cursor: result.next })}`
    : undefined;
  return c.html(
    <Layout title="Campaigns" user={layoutUser(c)} active="/console/groups">
      <h1>Coordinated campaigns</h1>
      <p class="muted">
        Groups of lines that work together: many SIMs sharing a cell, handsets or a list of target
        numbers on one day, each line staying under every single-line limit. One row per rule,
        shared key and day; newest day first.
      </p>
      <p class="actions filters">
        <a href="/console/groups" class={rule ? '' : 'on'}>
          All
        </a>
        {GROUP_RULE_CODES.map((code) => (
          <a href={`/console/groups?rule=${code}`} class={rule === code ? 'on' : ''}>
            {GROUP_ALERT_TEXT[code].label}
          </a>
        ))}
      </p>
      <section class="card">
        <ListTable items={result.items} names={names} />
        {next && (
          <p>
            <a href={next}>Older campaigns →</a>
          </p>
        )}
      </section>
    </Layout>,
  );
}

/** Persons registered to two or more member lines, labelled P1, P2… in the members table. */
function personLabels(members: readonly GroupMemberView[]): Map<string, string> {
  const lines = new Map<string, number>();
  for (const m of members)
    if (m.personKey !== null) lines.set(m.personKey, (lines.get(m.personKey) ?? 0) + 1);
  const labels = new Map<string, string>();
  for (const [key, n] of [...lines].sort(([a], [b]) => a.localeCompare(b)))
    if (n >= 2) labels.set(key, `P${labels.size + 1}`);
  return labels;
}

const Shared = ({ g, persons }: { g: GroupAlertDetail; persons: Map<string, string> }) => {
  const s = g.shared;
  return (
    <dl class="facts">
      <dt>Shared handsets</dt>
      <dd>
        {s.handsets.length === 0 ? (
          <span class="muted">No handset carries two member lines.</span>
        ) : (
          s.handsets.map((h) => (
            <>
              <code>{h}</code>{' '}
            </>
          ))
        )}
      </dd>
      <dt>Persons</dt>
      <dd>
        {s.persons === 0 ? (
          <span class="muted">No person is registered to two member lines.</span>
        ) : (
          <>
            {s.persons} {s.persons === 1 ? 'person holds' : 'persons hold'} {s.linesOfSharedPersons}{' '}
            member lines
            {persons.size > 0 && (
              <span class="muted small"> (shown here as {[...persons.values()].join(', ')})</span>
            )}
          </>
        )}
      </dd>
      <dt>Points of sale</dt>
      <dd>
        {(s.sameOutletWithinHours ?? []).length === 0 ? (
          <span class="muted">
            {s.registeredLines === 0
              ? 'No member line is registered here.'
              : 'No point of sale registered member lines to different persons within 6 hours.'}
          </span>
        ) : (
          <>
            {(s.sameOutletWithinHours ?? []).map((o) => (
              <>
                <code>{o}</code>{' '}
              </>
            ))}
            <span class="small">
              — {s.sameOutletLines} member lines registered there to different persons within 6
              hours of each other
            </span>
          </>
        )}
      </dd>
      <dt>Timing</dt>
      <dd>
        First records within {s.startSpreadMin} min of each other, last records within{' '}
        {s.stopSpreadMin} min
      </dd>
      <dt>Numbers reached</dt>
      <dd>{s.distinctTargets} distinct numbers</dd>
    </dl>
  );
};

const MembersTable = ({
  members,
  names,
  persons,
  shared,
}: {
  members: GroupMemberView[];
  names: Map<string, string>;
  persons: Map<string, string>;
  shared: Set<string>;
}) => (
  <div class="scroll">
    <table class="cards">
      <thead>
        <tr>
          <th>Line</th>
          <th>Operator</th>
          <th>Person</th>
          <th>Calls out</th>
          <th>Short or unanswered</th>
          <th>Calls in</th>
          <th>SMS with links</th>
          <th>One-ring</th>
          <th>Numbers reached</th>
          <th>Handsets</th>
          <th>Active (UTC)</th>
          <th>Line alert</th>
        </tr>
      </thead>
      <tbody>
        {members.map((m) => (
          <tr>
            <td data-label="Line" class="nowrap">
              {m.msisdn}
            </td>
            <td data-label="Operator">{operatorLabel(names, m.operatorId)}</td>
            <td data-label="Person">
              {m.personKey === null ? (
                <span class="muted">not registered</span>
              ) : (
                (persons.get(m.personKey) ?? <span class="muted">one line here</span>)
              )}
            </td>
            <td data-label="Calls out">{m.outgoingCalls}</td>
            <td data-label="Short/unans.">{m.shortOrUnanswered}</td>
            <td data-label="Calls in">{m.incomingCalls}</td>
            <td data-label="SMS links">{m.urlSms}</td>
            <td data-label="One-ring">{m.oneRingCalls}</td>
            <td data-label="Reached">{m.targets}</td>
            <td data-label="Handsets" class="small">
              <span>
                {m.imeis.map((i) => (
                  <>
                    <span class="nowrap">{shared.has(i) ? <strong>{i}</strong> : i}</span>{' '}
                  </>
                ))}
              </span>
            </td>
            <td data-label="Active" class="small nowrap">
              {m.firstAt.slice(11, 16)}–{m.lastAt.slice(11, 16)}
            </td>
            <td data-label="Line alert">
              {m.alertStatus ? (
                <>
                  <Badge value={m.alertStatus} /> <span class="small muted">#{m.alertId}</span>
                </>
              ) : (
                <span class="muted">—</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

async function detailPage(c: PageCtx) {
  const id = c.req.param('id') ?? '';
  let g: GroupAlertDetail;
  try {
    g = await getGroupAlert({ ctx: groupReadCtx(c), input: { id } });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    return c.html(
      <Layout title="Campaign" user={layoutUser(c)} active="/console/groups">
        <Errors message={`No campaign ${id} was raised.`} />
        <a href="/console/groups">Back to the campaigns</a>
      </Layout>,
      404,
    );
  }
  const names = await operatorNames(c);
  const text = GROUP_ALERT_TEXT[g.rule];
  const persons = personLabels(g.members);
  return c.html(
    <Layout title={`Campaign ${g.id}`} user={layoutUser(c)} active="/console/groups">
      <p class="small">
        <a href="/console/groups">← Campaigns</a>
      </p>
      <h1>
        Campaign #{g.id}: {text.label}
      </h1>
      <div class="grid">
        <section class="card" id="explanation">
          <h2>What this means</h2>
          <p>{text.explain}</p>
          <dl class="facts">
            <dt>Rule</dt>
            <dd>
              <code>{g.rule}</code>
            </dd>
            <dt>Shared</dt>
            <dd>{groupKeyText(g.groupKey)}</dd>
            <dt>Day</dt>
            <dd>{day(g.windowStart)} (UTC)</dd>
            <dt>Score</dt>
            <dd>{g.score.toFixed(2)}</dd>
            <dt>Raised</dt>
            <dd>
              {when(g.createdAt)}; last grown {when(g.updatedAt)}
            </dd>
            <dt>Member lines</dt>
            <dd>
              <strong>{g.memberLines}</strong> <ByOperator g={g} names={names} />
            </dd>
          </dl>
        </section>
        <section class="card" id="totals">
          <h2>Totals against thresholds</h2>
          <table>
            <thead>
              <tr>
                <th>Figure</th>
                <th>Group</th>
                <th>Threshold</th>
              </tr>
            </thead>
            <tbody>
              {g.checks.map((k) => (
                <tr>
                  <td>{CHECK_TEXT[k.feature] ?? k.feature.replaceAll('_', ' ')}</td>
                  <td>{figure(k.feature, k.value)}</td>
                  <td class="nowrap">
                    {OP_TEXT[k.op] ?? k.op} {figure(k.feature, k.threshold)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section class="card" id="shared">
          <h2>What the members share</h2>
          <Shared g={g} persons={persons} />
        </section>
      </div>
      <section class="card" id="members">
        <h2>Member lines ({g.members.length})</h2>
        <MembersTable
          members={g.members}
          names={names}
          persons={persons}
          shared={new Set(g.shared.handsets)}
        />
      </section>
    </Layout>,
  );
}

export function mountGroupPages(app: Router): void {
  const readers = page({ roles: GROUP_ALERT_READERS });
  app.get('/console/groups', readers, listPage);
  app.get('/console/groups/:id', readers, detailPage);
}
