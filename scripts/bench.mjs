#!/usr/bin/env node
// `npm run bench`: every benchmark that exists under bench/, one after another (each writes bench/results/<name>.json).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const names = ['features', 'training', 'audio', 'firmware', 'pose', 'deploy'];
let failed = 0;
for (const name of names) {
  const script = join(root, 'bench', `${name}.ts`);
  if (!existsSync(script)) {
    console.log(`- bench:${name}: not written yet, skipped`);
    continue;
  }
  console.log(`\n▶ bench:${name}`);
  const r = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [script, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`✖ bench:${name} failed (exit ${r.status ?? r.signal})`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
