import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountConsole } from '../../src/console/pages.js';
import { createApp } from '../../src/platform/http/app.js';
import {
  ORDER_ACTION_TABLE,
  ORDER_ACTIONS,
  ORDER_VERBS,
  SIMPLE_ORDER_ACTIONS,
} from '../../src/suspensions/order-actions.js';
import { createWorld, type World } from '../support/world.js';

let world: World;

beforeAll(async () => {
  world = await createWorld();
});

afterAll(async () => {
  await world?.close();
});

describe('the order action table', () => {
  it('gives every action its API operation, with the operationId and summary of its entry', async () => {
    const doc = (await (await world.request('GET', '/openapi.json')).json()) as {
      paths: Record<string, Record<string, { operationId: string; summary: string }>>;
    };
    for (const verb of ORDER_VERBS) {
      const op = doc.paths[`/v1/suspension-orders/{id}/${verb}`]?.post;
      expect(op, verb).toMatchObject({
        operationId: ORDER_ACTION_TABLE[verb].operationId,
        summary: ORDER_ACTION_TABLE[verb].summary,
      });
    }
  });

  it('gives every action its console route, and lists the state machine actions in table order', () => {
    const app = createApp(world.deps);
    mountConsole(app, {});
    const posts = new Set(app.routes.filter((r) => r.method === 'POST').map((r) => r.path));
    for (const verb of ORDER_VERBS) expect(posts, verb).toContain(`/console/orders/:id/${verb}`);
    expect(ORDER_ACTIONS).toEqual(['submit', 'approve', 'reject', 'withdraw', 'lift', 'amend']);
    expect(SIMPLE_ORDER_ACTIONS).toEqual(['submit', 'approve', 'reject', 'withdraw', 'lift']);
  });
});
