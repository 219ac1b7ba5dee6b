/**
 * One CLI command = one file under cli/commands/, exporting a `Command`. The CLI is a thin shell over
 * the same services the app's API calls; it never holds domain logic of its own.
 */
export interface CommandContext {
  /** Writes a line to stdout (tests capture it). */
  readonly out: (line: string) => void;
  /** Writes a line to stderr. */
  readonly err: (line: string) => void;
  /** True when stdout is a terminal, so progress bars may redraw in place. */
  readonly interactive: boolean;
}

export interface Command {
  /** Words that select the command, e.g. ['dataset', 'inspect']. */
  readonly path: readonly string[];
  /** Usage after the command words, e.g. '<dir> [--label g]'. */
  readonly usage: string;
  readonly summary: string;
  /** Returns the process exit code. Throw a `UsageError` for bad arguments. */
  run(args: readonly string[], ctx: CommandContext): Promise<number>;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Minimal flag parser: `--name value`, `--flag`, and positionals, with unknown flags rejected by name. */
export function parseArgs(
  args: readonly string[],
  spec: { readonly flags?: readonly string[]; readonly options?: readonly string[] },
): { positionals: string[]; flags: Set<string>; options: Map<string, string> } {
  const positionals: string[] = [];
  const flags = new Set<string>();
  const options = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (spec.flags?.includes(name)) {
      flags.add(name);
    } else if (spec.options?.includes(name)) {
      const value = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (value === undefined) throw new UsageError(`option --${name} needs a value`);
      options.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { positionals, flags, options };
}
