import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findExecutable } from '../../src-main/audio/captureBackend';

const run = promisify(execFile);

/**
 * A PulseAudio server private to one test: a null sink whose monitor is remapped into a source named
 * `vmic` and made the default, so anything played into `vmic_sink` is what a recorder hears from "the
 * microphone". It runs in its own runtime folder, so it neither needs nor disturbs a desktop session.
 */
export interface VirtualMicrophone {
  /** The environment a recorder (or pactl/paplay) needs to reach this server. */
  readonly env: NodeJS.ProcessEnv;
  readonly sink: string;
  /** Plays a file into the microphone; resolves when playback has finished. */
  play(file: string): Promise<void>;
  close(): Promise<void>;
}

const NEEDED = ['pulseaudio', 'pactl', 'paplay', 'sox'] as const;
const missing = NEEDED.filter((b) => !findExecutable(b));
/** Why the real-capture tests cannot run here, or false when they can. */
export const virtualMicrophoneSkip: string | false = missing.length ? `not installed: ${missing.join(', ')} (apt-get install sox pulseaudio pulseaudio-utils)` : false;
if (virtualMicrophoneSkip) console.log(`# skipping real-capture tests: ${virtualMicrophoneSkip}`);

export async function startVirtualMicrophone(): Promise<VirtualMicrophone> {
  const dir = await mkdtemp(join(tmpdir(), 'tinym2-vmic-'));
  // HOME too: the server writes its cookie under it and clients must read the same one.
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: dir, HOME: dir, PULSE_SERVER: `unix:${join(dir, 'pulse', 'native')}` };
  delete env.PULSE_SINK;
  delete env.PULSE_SOURCE;
  const sink = 'vmic_sink';
  const daemonEnv = { ...env };
  delete daemonEnv.PULSE_SERVER; // the daemon must create the socket, not look for one
  await run('pulseaudio', ['--daemonize=yes', '--exit-idle-time=-1', '-n', '--load=module-native-protocol-unix', `--load=module-null-sink sink_name=${sink}`], { env: daemonEnv });
  const close = async (): Promise<void> => {
    await run('pulseaudio', ['--kill'], { env: daemonEnv }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run('pactl', ['load-module', 'module-remap-source', `master=${sink}.monitor`, 'source_name=vmic'], { env });
    await run('pactl', ['set-default-source', 'vmic'], { env });
  } catch (e) {
    await close();
    throw e;
  }
  return {
    env,
    sink,
    play: (file) =>
      new Promise<void>((resolve, reject) => {
        const p = spawn('paplay', [`--device=${sink}`, '--latency-msec=300', file], { env, stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        p.stderr.on('data', (c: Buffer) => (err += c.toString()));
        p.on('error', reject);
        p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`paplay exited with ${code}: ${err}`))));
      }),
    close,
  };
}
