/**
 * One simline instance as `npm start` runs it, in a process of its own on loopback, for the
 * two-country federation test and benchmark: its environment (database, country, port, its own
 * secrets), its CLI, and its start and stop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export type InstanceEnv = Record<string, string>;

/** The environment of an instance: its own keys, shared by its CLI and its server process. */
export function instanceEnv(o: {
  databaseUrl: string;
  country: string;
  port: number;
  extra?: Record<string, string>;
}): InstanceEnv {
  const hex = () => randomBytes(32).toString('hex');
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('KAFKA_'),
    ),
  );
  return {
    ...base,
    NODE_ENV: 'test',
    DATABASE_URL: o.databaseUrl,
    SIMLINE_COUNTRY: o.country,
    SIMLINE_ROLE: 'api',
    PORT: String(o.port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    IDENTITY_PEPPER: hex(),
    PII_KEYS: `k1:${hex()}`,
    FINGERPRINT_KEYS: `f1:${hex()}`,
    AUDIT_HMAC_KEY: `a1:${hex()}`,
    AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString(),
    RATE_LIMIT_RPS: '100000',
    RATE_LIMIT_BURST: '100000',
    ...o.extra,
  };
}

/** Runs the CLI against the instance's database; its JSON result, or throws with stderr. */
export function cli<T = unknown>(env: InstanceEnv, ...args: string[]): Promise<T> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as T);
      else reject(new Error(`simline ${args.slice(0, 2).join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

/**
 * Partners two instances one way, with the CLI: `publisher` adds `puller`'s country and issues
 * it a key, then `puller` adds `publisher` with its TAXII URL and that key, to pull it.
 */
export async function partnerToPull(o: {
  publisher: InstanceEnv;
  publisherName: string;
  puller: InstanceEnv;
  pullerName: string;
}): Promise<{
  /** The puller's key at the publisher (it pulls and posts sightings with it). */
  pullerKey: { partnerId: string; apiKey: string };
  /** The puller's partner record of the publisher. */
  publisherAtPuller: { partnerId: string };
}> {
  const country = (env: InstanceEnv) => env.SIMLINE_COUNTRY as string;
  const pullerKey = await cli<{ partnerId: string; apiKey: string }>(
    o.publisher,
    'partners',
    'add',
    '--country',
    country(o.puller),
    '--name',
    o.pullerName,
  );
  const publisherAtPuller = await cli<{ partnerId: string }>(
    o.puller,
    'partners',
    'add',
    '--country',
    country(o.publisher),
    '--name',
    o.publisherName,
    '--taxii-url',
    `http://127.0.0.1:${o.publisher.PORT}/taxii2/`,
    '--key',
    pullerKey.apiKey,
  );
  return { pullerKey, publisherAtPuller };
}

export interface Instance {
  url: string;
  child: ChildProcess;
  /** What the process wrote on stdout and stderr (its JSON logs). */
  logs(): string;
  stop(): Promise<void>;
}

/** Starts `src/main.ts` with `env` and waits until `/readyz` answers. */
export async function startInstance(env: InstanceEnv): Promise<Instance> {
  const url = `http://127.0.0.1:${env.PORT}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout?.on('data', (d) => {
    logs += d;
  });
  child.stderr?.on('data', (d) => {
    logs += d;
  });
  const stop = () => stopped(child, 'SIGTERM');
  try {
    await awaitReady(url, child, { what: `instance on ${url}`, tries: 600 });
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}: ${logs}`);
  }
  return { url, child, logs: () => logs, stop };
}

/** Sends `signal` to `child` and resolves once it exited; at once when it already had. */
export function stopped(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  return done;
}

/**
 * Polls `url`'s `/readyz` every 100 ms, `tries` times at most, while `child` (the process serving
 * it) runs; throws, naming `what`, when the process exits first or never gets ready.
 */
export async function awaitReady(
  url: string,
  child: ChildProcess,
  o: { what: string; tries: number },
): Promise<void> {
  for (let i = 0; i < o.tries; i++) {
    if (child.exitCode !== null) throw new Error(`${o.what} exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${o.what} did not become ready`);
}
