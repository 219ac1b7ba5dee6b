/**
 * The agent's HTTPS identity: a self-signed certificate made on first start and kept in the data folder,
 * so its fingerprint stays the same across restarts and the studio can pin it (trust on first use).
 * The certificate is made by the `openssl` command (Raspberry Pi OS ships it; Node cannot make one).
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fsyncDir } from '../storage/atomicFile';

export interface TlsIdentity {
  readonly key: string;
  readonly cert: string;
  /** SHA-256 of the certificate (DER), as colon-separated upper-case hex: what the technician compares. */
  readonly fingerprint256: string;
}

export function loadOrCreateTlsIdentity(dataDir: string): TlsIdentity {
  const dir = join(dataDir, 'tls');
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  // The certificate is renamed into place last, so its presence means the pair is complete.
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.new-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { mode: 0o700 });
    const cn = `tinym2-agent ${hostname()}`.replace(/[^A-Za-z0-9 ._-]/g, '');
    const r = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650', '-subj', `/CN=${cn}`, '-keyout', join(tmp, 'key.pem'), '-out', join(tmp, 'cert.pem')],
      { encoding: 'utf8' },
    );
    if (r.error || r.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n')[0];
      throw new Error(`cannot create the agent's TLS certificate with openssl (${why}). Install it: sudo apt-get install openssl`);
    }
    renameSync(join(tmp, 'key.pem'), keyPath);
    fsyncDir(dir);
    renameSync(join(tmp, 'cert.pem'), certPath);
    fsyncDir(dir);
    rmSync(tmp, { recursive: true, force: true });
  }
  const cert = readFileSync(certPath, 'utf8');
  return { key: readFileSync(keyPath, 'utf8'), cert, fingerprint256: new X509Certificate(cert).fingerprint256 };
}
