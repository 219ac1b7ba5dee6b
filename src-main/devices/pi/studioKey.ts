/**
 * The studio's Ed25519 signing key, made on first use and kept owner-only in the app data folder. Its
 * public half is given to each Pi at pairing; models signed with any other key are refused there.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../storage/atomicFile';

export interface StudioKey {
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
}

export function loadOrCreateStudioKey(dataDir: string): StudioKey {
  const path = join(dataDir, 'keys', 'studio-ed25519.pem');
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileAtomic(path, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not a readable private key (${(e as Error).message})`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${path}: expected an Ed25519 key, found ${privateKey.asymmetricKeyType}`);
  return { privateKey, publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string };
}
