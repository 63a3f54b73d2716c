import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Runtime } from '../runtime.js';

/** A mistake in how a command was called: the CLI prints it with the command's help, exit 2. */
export class UsageError extends Error {}

/** The largest number an option takes (PostgreSQL's integer). */
export const MAX_INT = 2_147_483_647;

export interface OptionSpec {
  /** `int` is a whole number from 0 to MAX_INT; `flag` takes no value. */
  type: 'string' | 'int' | 'flag';
  /** What the value looks like in the usage line, e.g. `CC` or `FILE`. */
  value?: string;
  description: string;
  required?: boolean;
}

/** The options a command was given: strings as typed, ints parsed, flags as `true`. */
export type Opts = Record<string, string | number | boolean | undefined>;

/** What a command hands back: `result` is printed as JSON on stdout, or `text` as is. */
export interface CommandResult {
  result: unknown;
  exitCode?: number;
  text?: string;
}

export interface CommandCtx {
  opts: Opts;
  /** The database and secrets, opened on first use (commands that need neither never open them). */
  runtime(): Promise<Runtime>;
}

/** One CLI command: its usage, help and handler all come from this declaration. */
export interface Command {
  /** Two words, e.g. `caps set`. */
  name: string;
  summary: string;
  /** More lines of help under the summary. */
  details?: string;
  options?: Record<string, OptionSpec>;
  example: string;
  run(ctx: CommandCtx): Promise<CommandResult>;
}

export const command = (c: Command): Command => c;

/** An option's text as a whole number from 0 to MAX_INT, or a UsageError naming the option. */
export function wholeNumber(name: string, v: string): number {
  if (!/^\d+$/.test(v) || Number(v) > MAX_INT)
    throw new UsageError(`--${name} must be a whole number from 0 to ${MAX_INT}`);
  return Number(v);
}

export function str(opts: Opts, name: string): string | undefined {
  const v = opts[name];
  return typeof v === 'string' ? v : undefined;
}

export function int(opts: Opts, name: string): number | undefined {
  const v = opts[name];
  return typeof v === 'number' ? v : undefined;
}

/** A required option's value (the parser has already refused the command without it). */
export function need(opts: Opts, name: string): string {
  const v = opts[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export const list = (v: string | undefined) =>
  v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * A file's path relative to the directory the command was started from: `npm run` runs
 * scripts from the package's root, and says where it was started in INIT_CWD.
 */
export function fromCaller(file: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), file);
}

function usageLine(c: Command): string {
  const parts = Object.entries(c.options ?? {}).map(([name, o]) => {
    const text = o.type === 'flag' ? `--${name}` : `--${name} ${o.value ?? 'VALUE'}`;
    return o.required ? text : `[${text}]`;
  });
  return ['simline', c.name, ...parts].join(' ');
}

/** `simline <command> --help`: usage, summary, each option and an example. */
export function commandHelp(c: Command): string {
  const options = Object.entries(c.options ?? {}).map(([name, o]) => {
    const left = o.type === 'flag' ? `--${name}` : `--${name} ${o.value ?? 'VALUE'}`;
    const kind = o.type === 'int' ? ' (whole number)' : '';
    return `  ${left.padEnd(26)} ${o.required ? 'required. ' : ''}${o.description}${kind}`;
  });
  return [
    `usage: ${usageLine(c)}`,
    '',
    c.summary,
    ...(c.details ? [c.details] : []),
    '',
    ...(options.length > 0 ? ['options:', ...options, ''] : []),
    'example:',
    `  ${c.example}`,
    '',
  ].join('\n');
}

/** `simline --help`: every command with its one-line summary. */
export function overallHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: simline <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `simline <command> --help` for its options and an example.',
    'Prints the JSON result on stdout; logs, progress and errors go to stderr.',
    '',
  ].join('\n');
}

export type Parsed =
  | { kind: 'run'; command: Command; opts: Opts }
  | { kind: 'help'; text: string }
  | { kind: 'usage'; message: string; help: string };

/** Finds the command named by the first two words and parses its options against its declaration. */
export function parseCommandLine(commands: readonly Command[], argv: readonly string[]): Parsed {
  const all = overallHelp(commands);
  const name = argv.slice(0, 2).join(' ');
  const c = commands.find((x) => x.name === name);
  if (!c) {
    // `simline caps --help` lists the caps commands only.
    const group = commands.filter((x) => x.name.split(' ')[0] === argv[0]);
    const help = group.length > 0 ? overallHelp(group) : all;
    if (argv.length === 0 || argv.some((a) => a === '--help' || a === '-h'))
      return { kind: 'help', text: help };
    const words = argv.filter((a) => !a.startsWith('-')).slice(0, 2);
    return { kind: 'usage', message: `unknown command: ${words.join(' ')}`, help };
  }
  const help = commandHelp(c);
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv.slice(2),
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(
          Object.entries(c.options ?? {}).map(([k, o]) => [
            k,
            { type: o.type === 'flag' ? ('boolean' as const) : ('string' as const) },
          ]),
        ),
      },
    }));
  } catch (err) {
    const message = (err as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
    return {
      kind: 'usage',
      message: unknown ? `${unknown} is not an option of simline ${c.name}` : message,
      help,
    };
  }
  if (values.help) return { kind: 'help', text: help };
  if (positionals.length > 0)
    return { kind: 'usage', message: `unexpected argument: ${positionals[0]}`, help };
  const opts: Opts = {};
  for (const [k, o] of Object.entries(c.options ?? {})) {
    const v = values[k];
    if (v === undefined || (v === '' && o.required)) {
      if (o.required) return { kind: 'usage', message: `--${k} is required`, help };
      continue;
    }
    if (o.type === 'int' && typeof v === 'string') {
      try {
        opts[k] = wholeNumber(k, v);
      } catch (err) {
        return { kind: 'usage', message: (err as Error).message, help };
      }
    } else opts[k] = v;
  }
  return { kind: 'run', command: c, opts };
}
