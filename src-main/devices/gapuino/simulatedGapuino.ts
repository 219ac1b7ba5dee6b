/**
 * A simulated GAPuino: the firmware's host loader build (firmware/host/loader_host.c, `make -C firmware
 * host` → tm2_loader) as a child process whose flash is an image file. Its stdin/stdout carry exactly the
 * bytes a board's UART would, so the loader protocol and deploy run unchanged against it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { TransportClosedError, TransportTimeoutError, type ByteTransport } from '../transport';

export interface SimulatedGapuinoOptions {
  /** The built tm2_loader executable. */
  readonly loaderPath: string;
  /** The flash image; created erased when missing. */
  readonly flashImage: string;
  /** Size of a new flash image (two 4 KB record sectors + two slots); default 2 × 4 KB + 2 × 256 KB. */
  readonly flashBytes?: number;
  /** Extra environment, e.g. TM2_FLASH_CRASH_AT for reset-in-flash-write tests. */
  readonly env?: Readonly<Record<string, string>>;
}

interface Waiter {
  resolve(bytes: Uint8Array): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class SimulatedGapuino implements ByteTransport {
  readonly description: string;
  private readonly child: ChildProcess;
  private readonly chunks: Uint8Array[] = [];
  private waiter: Waiter | undefined;
  private closedReason: string | undefined;
  private stderr = '';
  /** Resolves when the process has exited, with its exit code or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(options: SimulatedGapuinoOptions) {
    const args = ['--flash', options.flashImage];
    if (options.flashBytes !== undefined) args.push('--flash-bytes', String(options.flashBytes));
    this.child = spawn(options.loaderPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    this.description = `simulated GAPuino (pid ${this.child.pid ?? '?'}, flash ${path.basename(options.flashImage)})`;
    this.child.stdout!.on('data', (b: Buffer) => this.deliver(new Uint8Array(b)));
    this.child.stderr!.on('data', (b: Buffer) => (this.stderr = (this.stderr + b.toString()).slice(-2000)));
    // Writes into a pipe whose reader died surface as exit below; the error itself is expected then.
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.shut(`${options.loaderPath} could not be started (${e.message})`);
        resolve({ code: null, signal: null });
      });
      this.child.on('exit', (code, signal) => {
        const how = signal ? `was killed (${signal})` : `exited with status ${code}`;
        this.shut(`${this.description} ${how}${this.stderr ? `: ${this.stderr.trim()}` : ''}`);
        resolve({ code, signal });
      });
    });
  }

  static start(options: SimulatedGapuinoOptions): SimulatedGapuino {
    return new SimulatedGapuino(options);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.closedReason === undefined;
  }

  private deliver(bytes: Uint8Array): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.resolve(bytes);
    } else {
      this.chunks.push(bytes);
    }
  }

  private shut(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.reject(new TransportClosedError(reason));
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.closedReason !== undefined) throw new TransportClosedError(this.closedReason);
    await new Promise<void>((resolve) => this.child.stdin!.write(bytes, () => resolve()));
  }

  read(timeoutMs: number): Promise<Uint8Array> {
    if (this.chunks.length > 0) {
      const total = this.chunks.reduce((n, c) => n + c.length, 0);
      const out = new Uint8Array(total);
      let at = 0;
      for (const c of this.chunks.splice(0)) {
        out.set(c, at);
        at += c.length;
      }
      return Promise.resolve(out);
    }
    if (this.closedReason !== undefined) return Promise.reject(new TransportClosedError(this.closedReason));
    if (this.waiter) return Promise.reject(new Error(`${this.description}: only one read at a time`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new TransportTimeoutError(`${this.description} sent nothing for ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = { resolve, reject, timer };
    });
  }

  /** Power cut: SIGKILL, wherever the firmware is. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Closes the UART (stdin EOF): the loader returns and the process exits. */
  async close(): Promise<void> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Builds the host loader with firmware/Makefile into `buildDir`; returns the executable's path. */
export function buildSimulatedGapuinoLoader(firmwareDir: string, buildDir: string): string {
  const r = spawnSync('make', ['-s', '-C', firmwareDir, `BUILD=${buildDir}`, 'loader'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the simulated GAPuino failed (make -C ${firmwareDir} loader):\n${r.stdout}${r.stderr}`);
  return path.join(buildDir, 'host', 'tm2_loader');
}
