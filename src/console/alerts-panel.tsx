import { GROUP_ALERT_READERS } from '../scoring/group-alerts.js';
import { findGroupAlertsByRef, groupAlertRef } from '../scoring/group-queries.js';
import type { GroupRuleCode } from '../scoring/rules/index.js';
import { listAlerts } from '../scoring/service.js';
import type { DashboardPanel } from './dashboard.js';
import { GROUP_ALERT_TEXT } from './group-text.js';
import { when } from './layout.js';
import { WATCHLIST_ALERT_TEXT } from './watchlist-text.js';
import { WATCH_READERS } from './watchlist-views.js';

/** The scorer's newest open alerts across every operator: regulators see all lines. */
export const recentAlertsPanel: DashboardPanel = {
  title: 'Recent scorer alerts',
  render: async ({ deps, user, now }) => {
    const watchReader = WATCH_READERS.includes(user.role);
    const groupReader = GROUP_ALERT_READERS.includes(user.role);
    const { items } = await listAlerts({
      ctx: { db: deps.db, viewer: { kind: 'regulator' }, now },
      input: { status: 'open', limit: 10 },
    });
    if (items.length === 0) return <p class="muted">No open alerts.</p>;
    const groupOf = (a: (typeof items)[number]) =>
      a.evidence.group
        ? { rule: a.rule, groupKey: a.evidence.group.key, windowEnd: new Date(a.windowEnd) }
        : undefined;
    const groups = groupReader
      ? await findGroupAlertsByRef(
          deps.db,
          items.flatMap((a) => groupOf(a) ?? []),
        )
      : new Map<string, { id: number; memberCount: number }>();
    return (
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Line</th>
              <th>Rule</th>
              <th>Score</th>
              <th>Window ends</th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => {
              const group = groupOf(a);
              const campaign = group && groups.get(groupAlertRef(group));
              const watch = WATCHLIST_ALERT_TEXT[a.rule];
              return (
                <tr>
                  <td class="nowrap">{a.msisdn}</td>
                  <td>
                    <code class="small">{a.rule}</code>
                    {watch && (
                      <span class="small muted explain">
                        <br />
                        {watch.explain}
                        {watchReader && a.evidence.indicator && (
                          <>
                            {' '}
                            <a href={`/console/watchlist/${a.evidence.indicator.id}`}>
                              The listed indicator
                            </a>
                          </>
                        )}
                      </span>
                    )}
                    {group && (
                      <span class="small muted explain">
                        <br />
                        {GROUP_ALERT_TEXT[a.rule as GroupRuleCode]?.label}.
                        {campaign && (
                          <>
                            {' '}
                            <a href={`/console/groups/${campaign.id}`}>
                              The whole campaign ({campaign.memberCount} lines)
                            </a>
                          </>
                        )}
                      </span>
                    )}
                  </td>
                  <td>{a.score.toFixed(2)}</td>
                  <td class="small">{when(a.windowEnd)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    );
  },
};
