#!/usr/bin/env node
// The headless CLI. TypeScript sources are loaded through tsx so the CLI and the app run the same code.
import { register } from 'tsx/esm/api';

register();
const { runCli, processContext } = await import('../src-main/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), processContext);
