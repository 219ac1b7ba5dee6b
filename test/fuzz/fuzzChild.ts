/**
 * The child process a fuzz target runs in (see fuzzTarget.ts): loads the target module named on the
 * command line, then runs each input it is sent and reports the time, the peak memory and what happened.
 * It deliberately installs no 'uncaughtException' handler: an error that would crash the app crashes this
 * process too, and the harness reports it against the input that was running.
 */
import { pathToFileURL } from 'node:url';
import { summarise, type ChildReply, type ChildRequest, type FuzzTarget } from './fuzzTarget';

const modulePath = process.argv[2]!;
const { target } = (await import(pathToFileURL(modulePath).href)) as { target: FuzzTarget };

function reply(m: ChildReply): void {
  process.send!(m);
}

function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

try {
  await target.setup?.();
} catch (e) {
  reply({ kind: 'setup-failed', error: summarise(e, []) });
  process.exit(1);
}

process.on('message', (m: ChildRequest) => {
  void (async () => {
    const started = performance.now();
    try {
      const value = m.kind === 'run' ? await target.run(m.input, m.name) : await target.check?.();
      reply({ kind: 'done', id: m.id, ms: performance.now() - started, maxRssBytes: maxRssBytes(), value });
    } catch (e) {
      reply({ kind: 'done', id: m.id, ms: performance.now() - started, maxRssBytes: maxRssBytes(), error: summarise(e, m.kind === 'run' ? target.expected : []) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
reply({ kind: 'ready' });
