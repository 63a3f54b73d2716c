import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');
const DOMAINS = readdirSync(SRC, { withFileTypes: true })
  .filter((e) => e.isDirectory() && e.name !== 'platform')
  .map((e) => e.name);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

const importsOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1] ?? '');

it('keeps the platform free of domain imports', () => {
  const offending = sources(join(SRC, 'platform')).flatMap((file) =>
    importsOf(file)
      .filter((spec) => DOMAINS.some((d) => new RegExp(`^(\\.\\./)+${d}/`).test(spec)))
      .map((spec) => `${file}: ${spec}`),
  );
  expect(offending).toEqual([]);
});

it('keeps pages off route modules and other domains off the console', () => {
  const offending = sources(SRC).flatMap((file) =>
    importsOf(file)
      .filter(
        (spec) =>
          (file.includes('/console/') && /routes\.js$/.test(spec)) ||
          (!file.includes('/console/') &&
            /(^|\/)console\//.test(spec) &&
            !file.endsWith('/app.ts')),
      )
      .map((spec) => `${file}: ${spec}`),
  );
  expect(offending).toEqual([]);
});
