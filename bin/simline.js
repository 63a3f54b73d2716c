#!/usr/bin/env node
// The `simline` command: runs the TypeScript CLI through tsx's loader, resolved from this
// package (so it works from any directory after `npm link`). Only the result goes to stdout.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
