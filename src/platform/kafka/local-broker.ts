import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const KAFKA_VERSION = '4.1.1';

export interface LocalBroker {
  /** `host:port` for `metadata.broker.list`. */
  brokers: string;
  /** Kills the broker (SIGKILL: no clean shutdown) and starts it again on its data and ports. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject()));
    });
  });
}

/**
 * The broker's jars from Maven Central, fetched once into a cache directory with
 * `mvn dependency:copy-dependencies` from a generated pom, and reused after.
 */
export async function ensureKafkaJars(
  version = KAFKA_VERSION,
  cacheRoot = join(homedir(), '.cache', 'simline'),
): Promise<string> {
  const dir = join(cacheRoot, `kafka-${version}`);
  const libs = join(dir, 'libs');
  if (existsSync(join(libs, `kafka_2.13-${version}.jar`))) return libs;
  await mkdir(dir, { recursive: true });
  const pom = `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>simline.local</groupId><artifactId>kafka-broker</artifactId><version>1</version>
<packaging>pom</packaging><dependencies><dependency><groupId>org.apache.kafka</groupId>
<artifactId>kafka_2.13</artifactId><version>${version}</version></dependency></dependencies>
</project>\n`;
  await writeFile(join(dir, 'pom.xml'), pom);
  const staging = join(dir, `libs-${randomBytes(4).toString('hex')}`);
  await run(
    'mvn',
    [
      '-q',
      '-B',
      'dependency:copy-dependencies',
      `-DoutputDirectory=${staging}`,
      '-DincludeScope=runtime',
    ],
    { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
  );
  await rm(libs, { recursive: true, force: true });
  await run('mv', [staging, libs]);
  return libs;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Starts a single-node KRaft broker (controller and broker in one JVM) with `java`, on free
 * ports and a temporary log directory; resolves once the broker port accepts connections.
 */
export async function startLocalBroker(
  opts: { heapMb?: number; partitions?: number; log?: (line: string) => void } = {},
): Promise<LocalBroker> {
  const libs = await ensureKafkaJars();
  const classpath = (await readdir(libs))
    .filter((f) => f.endsWith('.jar'))
    .map((f) => join(libs, f))
    .join(':');
  const dir = await mkdtemp(join(tmpdir(), 'simline-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const props = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${join(dir, 'data')}`,
    `num.partitions=${opts.partitions ?? 4}`,
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'log.flush.interval.messages=9223372036854775807',
  ].join('\n');
  const propsFile = join(dir, 'server.properties');
  await writeFile(propsFile, `${props}\n`);
  const log4j = join(dir, 'log4j2.properties');
  await writeFile(
    log4j,
    'rootLogger.level=WARN\nrootLogger.appenderRef.out.ref=out\nappender.out.type=Console\nappender.out.name=out\nappender.out.layout.type=PatternLayout\nappender.out.layout.pattern=[%d] %p %m (%c)%n\n',
  );
  const jvm = [
    `-Xmx${opts.heapMb ?? 512}m`,
    `-Xms${Math.min(256, opts.heapMb ?? 512)}m`,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4j}`,
    '-cp',
    classpath,
  ];
  const clusterId = (
    await run('java', [...jvm, 'kafka.tools.StorageTool', 'random-uuid'])
  ).stdout.trim();
  await run('java', [
    ...jvm,
    'kafka.tools.StorageTool',
    'format',
    '--standalone',
    '-t',
    clusterId,
    '-c',
    propsFile,
  ]);
  let output = '';
  let child: ChildProcess | undefined;
  let exited = true;
  const launch = () => {
    const c: ChildProcess = spawn('java', [...jvm, 'kafka.Kafka', propsFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (b: Buffer) => {
      output = (output + b.toString()).slice(-20_000);
      opts.log?.(b.toString());
    };
    c.stdout?.on('data', keep);
    c.stderr?.on('data', keep);
    exited = false;
    c.once('exit', () => {
      exited = true;
    });
    child = c;
  };
  const kill = async (signal: NodeJS.Signals) => {
    if (exited || !child) return;
    const c = child;
    const done = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(t);
  };
  const stop = async () => {
    await kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  };
  const ready = async () => {
    const deadline = Date.now() + 90_000;
    while (!(await canConnect(port))) {
      if (exited) {
        await stop();
        throw new Error(`local Kafka broker exited during start:\n${output.slice(-4000)}`);
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`local Kafka broker did not start in 90 s:\n${output.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  launch();
  await ready();
  const crash = async () => {
    await kill('SIGKILL');
    launch();
    await ready();
  };
  return { brokers: `127.0.0.1:${port}`, crash, stop };
}
