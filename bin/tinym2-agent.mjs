#!/usr/bin/env node
// The Raspberry Pi agent (docs/pi-agent.md). TypeScript sources are loaded through tsx, as for the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src-main/agent/main.ts');
