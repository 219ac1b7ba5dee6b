import { commands } from './commands/index';
import { UsageError, type Command, type CommandContext } from './command';

function helpText(): string {
  const lines = ['tinym2 — TinyM2 Studio command line (offline tiny multimodal models)', '', 'Usage: tinym2 <command> [options]', '', 'Commands:'];
  // Usages vary from a word to a line, so each command gets its usage line and its summary below it.
  for (const c of commands) lines.push(`  ${c.path.join(' ')} ${c.usage}`, `      ${c.summary}`);
  lines.push('', 'Run `tinym2 <command> --help` for a command\'s options.');
  return lines.join('\n');
}

function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  // Longest matching word path wins, so `dataset inspect` is not mistaken for `dataset`.
  let best: { command: Command; rest: string[] } | undefined;
  for (const c of commands) {
    if (c.path.every((w, i) => argv[i] === w) && (!best || c.path.length > best.command.path.length)) {
      best = { command: c, rest: argv.slice(c.path.length) };
    }
  }
  return best;
}

export async function runCli(argv: readonly string[], ctx: CommandContext): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    ctx.out(helpText());
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    ctx.err(`tinym2: unknown command '${argv.join(' ')}'\n\n${helpText()}`);
    return 2;
  }
  if (found.rest.includes('--help')) {
    ctx.out(`Usage: tinym2 ${found.command.path.join(' ')} ${found.command.usage}\n\n${found.command.summary}`);
    return 0;
  }
  try {
    return await found.command.run(found.rest, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      ctx.err(`tinym2 ${found.command.path.join(' ')}: ${e.message}\nUsage: tinym2 ${found.command.path.join(' ')} ${found.command.usage}`);
      return 2;
    }
    ctx.err(`tinym2 ${found.command.path.join(' ')}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

export const processContext: CommandContext = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  interactive: process.stdout.isTTY === true,
};
