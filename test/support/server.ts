import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { answerClientErrors } from '../../src/platform/http/client-errors.js';
import type { World } from './world.js';

/** Serves the world's app on a free port of 127.0.0.1, as a browser would reach it. */
export async function startServer(world: World): Promise<{ url: string; close(): Promise<void> }> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: world.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  answerClientErrors(server);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
