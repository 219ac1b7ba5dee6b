/**
 * The fuzzing harness. A target (targets/*.ts) runs in a child process that the harness drives one input
 * at a time over IPC, so an input that loops, allocates gigabytes or crashes the process is caught,
 * attributed to that input and saved, and the run goes on in a fresh child: JavaScript cannot interrupt
 * its own synchronous loop, and a test process that dies explains nothing.
 *
 * An input passes when the target returns or throws one of its own error classes (AudioImportError,
 * FrameError, …); it fails when anything else is thrown, when it takes longer than the time bound, when
 * the child's resident memory passes the memory bound, or when the child dies. Each failing input is
 * written to a temp file named in the assertion message, ready to be moved into the corpus.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom, type Random } from './mutator';

// ---------------------------------------------------------------------------------------------------------
// The target side (runs in the child)

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => Error;

export interface FuzzTarget {
  /** Error classes the code under test throws on purpose: an input ending in one of them was handled. */
  readonly expected: readonly ErrorClass[];
  /** Once per child process, before the first input (start a server, build a sandbox). */
  setup?(): Promise<void> | void;
  /**
   * Runs one input. `name` is its corpus file name: the extension says what kind of input it is where a
   * target takes several. The value returned is structured-cloned to the test, which may assert on it.
   */
  run(input: Uint8Array, name: string): Promise<unknown> | unknown;
  /** Every `checkEvery` inputs: throws if the code under test stopped working (a server that no longer answers). */
  check?(): Promise<void> | void;
}

/** A property of the code under test that an input broke (a file read outside its folder, a 5xx answer). Never expected. */
export class FuzzViolation extends Error {
  override readonly name = 'FuzzViolation';
}

export interface ErrorSummary {
  readonly name: string;
  readonly message: string;
  /** An instance of one of the target's expected classes. */
  readonly expected: boolean;
  readonly stack: string;
  /** The error's own `reason` / `code` / `status`, when it has them. */
  readonly reason?: string;
}

/** What the child reports for one input. */
export interface RunResult {
  readonly ms: number;
  /** The child's peak resident set so far (bytes). */
  readonly maxRssBytes: number;
  readonly error?: ErrorSummary;
  readonly value?: unknown;
}

type ChildRequestBody = { readonly kind: 'run'; readonly input: Uint8Array; readonly name: string } | { readonly kind: 'check' };
export type ChildRequest = ChildRequestBody & { readonly id: number };
export type ChildReply = { readonly kind: 'ready' } | { readonly kind: 'setup-failed'; readonly error: ErrorSummary } | ({ readonly kind: 'done'; readonly id: number } & RunResult);

export function summarise(e: unknown, expected: readonly ErrorClass[]): ErrorSummary {
  const err = e instanceof Error ? e : new Error(`non-Error thrown: ${String(e)}`);
  const own = err as Error & { reason?: unknown; code?: unknown; status?: unknown };
  const reason = own.reason ?? own.code ?? own.status;
  return {
    name: err.name,
    message: err.message.slice(0, 2000),
    expected: expected.some((c) => err instanceof c),
    stack: (err.stack ?? '').split('\n').slice(0, 12).join('\n'),
    ...(reason !== undefined ? { reason: String(reason) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The test side

/** Bounds every fuzz target is held to; the README states them. */
export const FUZZ_BOUNDS = {
  /** Longest any single input may run. */
  timeoutMs: Number(process.env.TM2_FUZZ_TIMEOUT_MS ?? 5000),
  /** Peak resident memory of the child running a target, and of the test process driving it. */
  maxRssBytes: 1024 * 1024 * 1024,
  /**
   * Longest a corpus regression may take to be refused when replayed. Milliseconds on an idle machine,
   * but CI runs other test files beside this one on 2 cores; the bugs these cases caught took 27 s or
   * more (or were killed at `timeoutMs`), and the child's memory is held to `maxRssBytes` on top.
   */
  replayMs: 3000,
};

/**
 * Inputs per target: the target's default (sized for 10–30 s on a 2-core machine, never under the
 * issue's floor of 2000), or TM2_FUZZ_INPUTS for a longer run.
 */
export function fuzzInputs(targetDefault: number): number {
  return Math.max(2000, Number(process.env.TM2_FUZZ_INPUTS ?? targetDefault) || targetDefault);
}

/** The run's seed: a fixed default per target, so every run of the suite repeats, or TM2_FUZZ_SEED. */
export function fuzzSeed(defaultSeed: number): number {
  const s = process.env.TM2_FUZZ_SEED;
  return s === undefined ? defaultSeed : Number(s) >>> 0;
}

/**
 * Where targets build their sandboxes: a RAM-backed folder when there is one (Linux /dev/shm), since the
 * code under test fsyncs every file it installs and on a disk that, not the code, would set the pace.
 */
export function scratchDir(): string {
  // A target's child gets its own folder from the harness, removed even when the child was killed.
  const own = process.env.TM2_FUZZ_SCRATCH;
  if (own) return own;
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

export interface CorpusFile {
  readonly name: string;
  readonly path: string;
  readonly bytes: Uint8Array;
}

export const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

/** Every file of one target's corpus folder, sorted by name. */
export function readCorpus(target: string): CorpusFile[] {
  const dir = join(CORPUS_DIR, target);
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.') && statSync(join(dir, n)).isFile())
    .sort()
    .map((name) => ({ name, path: join(dir, name), bytes: new Uint8Array(readFileSync(join(dir, name))) }));
}

export type FailureKind = 'unexpected error' | 'timeout' | 'memory' | 'crash' | 'check failed';

export interface Failure {
  readonly kind: FailureKind;
  readonly input: string;
  readonly detail: string;
  /** Where the input was saved, for moving into the corpus. */
  readonly savedTo?: string;
  /** Later inputs that failed the same way (same kind, same first line of detail up to numbers): counted, not saved. */
  alike: number;
}

/** What makes two failures the same bug, as far as a log can tell: the kind and the first line, numbers and input names blurred. */
function signature(kind: FailureKind, detail: string): string {
  return `${kind}: ${detail.split('\n', 1)[0]!.replace(/fuzz-\d+/g, 'fuzz-N').replace(/\d+/g, 'N')}`;
}

/** What one input did, as the test sees it: the child's report, or how the child failed. */
export type Outcome = ({ readonly status: 'returned' | 'threw' } & RunResult) | { readonly status: 'timeout' | 'memory' | 'crash'; readonly ms: number; readonly detail: string };

const CHILD_ENTRY = fileURLToPath(new URL('./fuzzChild.ts', import.meta.url));
const RSS_POLL_MS = 50;

function tail(text: string, n: number): string {
  return text.length > n ? `…${text.slice(-n)}` : text;
}

/** Reads a process's current resident set from /proc (Linux); undefined elsewhere. */
function currentRss(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One target in a child process. `run` never throws for what the input does: a timeout, a memory
 * overrun or a crash comes back as an outcome, the child is killed, and the next call starts a new one.
 */
export class TargetProcess {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 1;
  private stderr = '';
  private pending: { id: number; settle: (o: Outcome) => void } | undefined;
  /** Highest resident set any child of this target reached (bytes). */
  peakRssBytes = 0;
  restarts = 0;
  private readonly scratch: string;

  constructor(
    readonly name: string,
    private readonly module: URL,
  ) {
    this.scratch = mkdtempSync(join(scratchDir(), `tm2-fuzz-${name}-`));
  }

  private start(): Promise<void> {
    const child = fork(CHILD_ENTRY, [fileURLToPath(this.module)], {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, TINYM2_TEST: '1', TM2_FUZZ_SCRATCH: this.scratch },
    });
    this.child = child;
    this.stderr = '';
    child.stderr!.on('data', (d: Buffer) => (this.stderr = tail(this.stderr + d.toString(), 4000)));
    child.stdout!.on('data', () => undefined);
    return new Promise<void>((resolve, reject) => {
      child.on('message', (m: ChildReply) => {
        if (m.kind === 'ready') resolve();
        else if (m.kind === 'setup-failed') reject(new Error(`${this.name}: target setup failed: ${m.error.name}: ${m.error.message}\n${m.error.stack}`));
        else if (this.pending?.id === m.id) {
          const p = this.pending;
          this.pending = undefined;
          this.peakRssBytes = Math.max(this.peakRssBytes, m.maxRssBytes);
          const { kind: _kind, id: _id, ...result } = m;
          p.settle({ status: m.error ? 'threw' : 'returned', ...result });
        }
      });
      child.on('exit', (code, signal) => {
        reject(new Error(`${this.name}: target child exited before it was ready (${signal ?? code}): ${this.stderr}`));
        if (this.child !== child) return; // killed on purpose, its input already settled
        this.child = undefined;
        this.ready = undefined;
        if (this.pending) {
          const p = this.pending;
          this.pending = undefined;
          p.settle({ status: 'crash', ms: 0, detail: `the process running the target died (${signal ? `signal ${signal}` : `exit code ${code}`}); its last output:\n${this.stderr.trim()}` });
        }
      });
    });
  }

  private kill(): void {
    const child = this.child;
    this.child = undefined;
    this.ready = undefined;
    child?.kill('SIGKILL');
  }

  private async send(request: ChildRequestBody, timeoutMs: number, maxRssBytes: number): Promise<Outcome> {
    if (!this.ready) {
      if (this.child === undefined && this.nextId > 1) this.restarts++;
      this.ready = this.start();
    }
    await this.ready;
    const child = this.child!;
    const id = this.nextId++;
    const started = performance.now();
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const finish = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(poll);
        resolve(o);
      };
      const timer = setTimeout(() => {
        this.pending = undefined;
        this.kill();
        finish({ status: 'timeout', ms: performance.now() - started, detail: `still running after ${timeoutMs} ms (killed)` });
      }, timeoutMs);
      // A synchronous loop in the child cannot report its own memory: watch it from outside.
      const poll = setInterval(() => {
        const rss = currentRss(child.pid!);
        if (rss === undefined) return;
        this.peakRssBytes = Math.max(this.peakRssBytes, rss);
        if (rss > maxRssBytes) {
          this.pending = undefined;
          this.kill();
          finish({ status: 'memory', ms: performance.now() - started, detail: `resident memory reached ${mib(rss)} MiB, over the ${mib(maxRssBytes)} MiB bound (killed)` });
        }
      }, RSS_POLL_MS);
      this.pending = {
        id,
        settle: (o) => {
          if (o.status !== 'crash' && 'maxRssBytes' in o && o.maxRssBytes > maxRssBytes) {
            // The peak passed the bound between two polls: the child's own high-water mark says so.
            this.kill();
            finish({ status: 'memory', ms: o.ms, detail: `peak resident memory ${mib(o.maxRssBytes)} MiB, over the ${mib(maxRssBytes)} MiB bound` });
          } else finish(o);
        },
      };
      child.send({ ...request, id } as ChildRequest);
    });
  }

  /** Runs one input through the target. */
  run(input: Uint8Array, name: string, bounds = FUZZ_BOUNDS): Promise<Outcome> {
    return this.send({ kind: 'run', input, name }, bounds.timeoutMs, bounds.maxRssBytes);
  }

  /** Runs the target's health check. */
  check(bounds = FUZZ_BOUNDS): Promise<Outcome> {
    return this.send({ kind: 'check' }, bounds.timeoutMs, bounds.maxRssBytes);
  }

  close(): void {
    this.child?.disconnect();
    this.kill();
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

export function mib(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}

/** Why an outcome is a failure, or undefined when the input was handled. */
export function failureOf(o: Outcome): { kind: FailureKind; detail: string } | undefined {
  if (o.status === 'timeout' || o.status === 'memory' || o.status === 'crash') return { kind: o.status, detail: o.detail };
  if (o.status === 'threw' && !o.error!.expected) {
    const e = o.error!;
    return { kind: 'unexpected error', detail: e.stack.startsWith(`${e.name}: `) ? e.stack : `${e.name}: ${e.message}\n${e.stack}` };
  }
  return undefined;
}

const FAILURE_DIR = join(tmpdir(), 'tm2-fuzz-failures');

function saveFailure(target: string, seed: number, index: number, ext: string, bytes: Uint8Array): string {
  mkdirSync(FAILURE_DIR, { recursive: true });
  const file = join(FAILURE_DIR, `${target}-seed${seed}-${index}${ext}`);
  writeFileSync(file, bytes);
  return file;
}

export interface FuzzOptions {
  readonly target: TargetProcess;
  /** The corpus the inputs are mutated from (seeds and regression cases alike). */
  readonly corpus: readonly CorpusFile[];
  /** One mutated input from a parent corpus file; the returned name's extension tells the target its kind. */
  readonly mutate: (parent: CorpusFile, random: Random, corpus: readonly CorpusFile[]) => Uint8Array;
  readonly seed: number;
  readonly inputs: number;
  /** Health check every this many inputs (targets with `check`). */
  readonly checkEvery?: number;
  /**
   * Stop after this many distinct failures (TM2_FUZZ_MAX_FAILURES; default 5), or four times as many in all:
   * one bug tends to fail many inputs, and each timeout costs its full 5 s.
   */
  readonly maxFailures?: number;
  /** Names what an input did (e.g. its HTTP status), for the tally in the log: where the inputs went. */
  readonly classify?: (o: Outcome) => string;
}

export interface FuzzReport {
  readonly target: string;
  readonly seed: number;
  readonly inputs: number;
  /** Inputs run (less than `inputs` when the run stopped at `maxFailures`). */
  readonly ran: number;
  /** Inputs that ended in one of the target's own errors. */
  readonly handled: number;
  readonly failures: readonly Failure[];
  readonly maxMs: number;
  readonly slowestInput: string;
  readonly peakRssBytes: number;
  readonly wallMs: number;
  readonly restarts: number;
  /** How many inputs ended each way: the error name and reason, or what `classify` said. */
  readonly tally: Readonly<Record<string, number>>;
}

/** Runs `inputs` mutated inputs through the target and reports every failure with its input saved. */
export async function fuzz(o: FuzzOptions): Promise<FuzzReport> {
  const random = seededRandom(o.seed);
  const maxFailures = o.maxFailures ?? Number(process.env.TM2_FUZZ_MAX_FAILURES ?? 5);
  const failures: Failure[] = [];
  const started = performance.now();
  let handled = 0;
  let maxMs = 0;
  let slowestInput = '';
  let ran = 0;
  const tally: Record<string, number> = {};
  let failed = 0;
  const record = (kind: FailureKind, detail: string, input: string, save: () => string) => {
    failed++;
    const same = failures.find((f) => signature(f.kind, f.detail) === signature(kind, detail));
    if (same) same.alike++;
    else failures.push({ kind, detail, input, savedTo: save(), alike: 0 });
  };
  for (let i = 0; i < o.inputs && failures.length < maxFailures && failed < 4 * maxFailures; i++) {
    const parent = o.corpus[random.int(o.corpus.length)]!;
    const ext = extname(parent.name);
    const bytes = o.mutate(parent, random, o.corpus);
    const label = `#${i} (mutated from ${parent.name})`;
    const outcome = await o.target.run(bytes, `fuzz-${i}${ext}`);
    ran++;
    const kind = o.classify?.(outcome) ?? (outcome.status === 'threw' ? `${outcome.error!.name}${outcome.error!.reason ? ` ${outcome.error!.reason}` : ''}` : outcome.status);
    tally[kind] = (tally[kind] ?? 0) + 1;
    if (outcome.ms > maxMs) {
      maxMs = outcome.ms;
      slowestInput = label;
    }
    const failure = failureOf(outcome);
    if (failure) record(failure.kind, failure.detail, label, () => saveFailure(o.target.name, o.seed, i, ext, bytes));
    else if (outcome.status === 'threw') handled++;
    if (o.checkEvery && (i + 1) % o.checkEvery === 0) {
      const health = await o.target.check();
      const broken = failureOf(health);
      if (broken) record('check failed', broken.detail, `after inputs #${i + 1 - o.checkEvery}…#${i} (last saved)`, () => saveFailure(o.target.name, o.seed, i, ext, bytes));
    }
  }
  const ownRss = process.resourceUsage().maxRSS * 1024;
  if (ownRss > FUZZ_BOUNDS.maxRssBytes) failures.push({ kind: 'memory', input: '(all)', detail: `the test process itself peaked at ${mib(ownRss)} MiB, over the ${mib(FUZZ_BOUNDS.maxRssBytes)} MiB bound`, alike: 0 });
  return {
    target: o.target.name,
    seed: o.seed,
    inputs: o.inputs,
    ran,
    handled,
    failures,
    maxMs,
    slowestInput,
    peakRssBytes: o.target.peakRssBytes,
    wallMs: performance.now() - started,
    restarts: o.target.restarts,
    tally,
  };
}

function failedInputs(r: FuzzReport): number {
  return r.failures.reduce((n, f) => n + 1 + f.alike, 0);
}

/** One line for the test log: what ran, how long, how much memory. */
export function describeReport(r: FuzzReport): string {
  return (
    `${r.target}: ${r.ran}/${r.inputs} inputs, seed ${r.seed}, ${(r.wallMs / 1000).toFixed(1)} s, ` +
    `slowest ${r.maxMs.toFixed(0)} ms (${r.slowestInput}), peak RSS of the target process ${mib(r.peakRssBytes)} MiB (bound ${mib(FUZZ_BOUNDS.maxRssBytes)} MiB), ` +
    `${r.handled} handled errors, ${r.failures.length} distinct failures (${failedInputs(r)} inputs), ${r.restarts} restarts; outcomes: ` +
    Object.entries(r.tally)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ')
  );
}

/** The assertion message: every failure, its kind, what happened and where its input was saved. */
export function describeFailures(r: FuzzReport): string {
  const lines = r.failures.map(
    (f, n) =>
      `  ${n + 1}. ${f.kind} on input ${f.input}${f.alike ? ` (and ${f.alike} later inputs alike)` : ''}\n     ${f.detail.split('\n').join('\n     ')}\n     input saved to ${f.savedTo ?? '(not saved)'}` +
      `\n     (to keep it as a regression: move it into test/fuzz/corpus/${r.target}/ under a name for the case and assert its outcome)`,
  );
  return `${r.failures.length} distinct fuzz failure(s), ${failedInputs(r)} failing inputs, in ${r.target} (seed ${r.seed}; rerun with TM2_FUZZ_SEED=${r.seed}):\n${lines.join('\n')}`;
}

/** Outcome of a corpus file replayed through the target, with a readable description for assertion messages. */
export function describeOutcome(o: Outcome): string {
  if (o.status === 'returned') return `returned ${JSON.stringify(o.value)?.slice(0, 300)} in ${o.ms.toFixed(0)} ms`;
  if (o.status === 'threw') return `threw ${o.error!.name}${o.error!.reason ? ` (${o.error!.reason})` : ''}: ${o.error!.message.slice(0, 400)} in ${o.ms.toFixed(0)} ms`;
  return `${o.status}: ${'detail' in o ? o.detail : ''}`;
}

/**
 * Asserts that a replayed corpus file ended in the expected error class, within `maxMs`, with a message
 * holding every string of `mentions` (the file's name, usually).
 */
export function assertRefused(o: Outcome, expected: { name: string; maxMs: number; mentions?: readonly string[]; reason?: string }, what: string): void {
  const got = describeOutcome(o);
  if (o.status !== 'threw') throw new Error(`${what}: expected ${expected.name} within ${expected.maxMs} ms, but it ${got}`);
  const e = o.error!;
  if (e.name !== expected.name || !e.expected) throw new Error(`${what}: expected ${expected.name}, but it ${got}\n${e.stack}`);
  if (o.ms > expected.maxMs) throw new Error(`${what}: expected a refusal within ${expected.maxMs} ms, but it took ${o.ms.toFixed(0)} ms (${got})`);
  for (const m of expected.mentions ?? []) if (!e.message.includes(m)) throw new Error(`${what}: the message should name '${m}': ${e.message}`);
  if (expected.reason !== undefined && e.reason !== expected.reason) throw new Error(`${what}: expected reason '${expected.reason}', got '${e.reason}' (${got})`);
}
