/**
 * What a studio signs when it sends a model to a device: a canonical manifest of the package's files
 * (name, size, SHA-256), and an Ed25519 signature over the SHA-256 of that manifest's bytes. The device
 * checks the signature against the key it learned at pairing, then every file against the manifest, so
 * neither a changed byte nor a model from another studio can become active.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** Plain file names only: no folders, no hidden files, nothing a path join could escape with. */
export const manifestFileNameSchema = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, 'a plain file name (letters, digits, dot, dash, underscore)');

export const manifestSchema = z.object({
  format: z.literal('tinym2-model-manifest/1'),
  modelId: z.string().min(1).max(200),
  version: z.string().min(1).max(100),
  files: z
    .array(z.object({ name: manifestFileNameSchema, bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }))
    .min(1)
    .max(64),
});
export type ModelManifest = z.infer<typeof manifestSchema>;

export interface SignedManifest {
  readonly manifest: ModelManifest;
  /** Ed25519 signature (base64) over SHA-256(canonicalManifestBytes(manifest)). */
  readonly signature: string;
}

/** The exact bytes signed: fixed key order, files sorted by name, no whitespace. */
export function canonicalManifestBytes(m: ModelManifest): Buffer {
  const files = [...m.files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((f) => ({ name: f.name, bytes: f.bytes, sha256: f.sha256 }));
  return Buffer.from(JSON.stringify({ format: m.format, modelId: m.modelId, version: m.version, files }), 'utf8');
}

export function manifestDigest(m: ModelManifest): Buffer {
  return createHash('sha256').update(canonicalManifestBytes(m)).digest();
}

/** Every regular file directly in the package folder, hashed. model.json says the id and version. */
export async function packageManifest(pkgDir: string): Promise<ModelManifest> {
  const meta = JSON.parse(await readFile(join(pkgDir, 'model.json'), 'utf8')) as { id?: unknown; version?: unknown };
  if (typeof meta.id !== 'string' || typeof meta.version !== 'string') throw new Error(`${join(pkgDir, 'model.json')}: fields 'id' and 'version' must be strings`);
  const files: ModelManifest['files'] = [];
  for (const entry of (await readdir(pkgDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    const p = join(pkgDir, entry.name);
    const bytes = await readFile(p);
    files.push({ name: entry.name, bytes: (await stat(p)).size, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  return manifestSchema.parse({ format: 'tinym2-model-manifest/1', modelId: meta.id, version: meta.version, files });
}

export function signManifest(manifest: ModelManifest, privateKey: KeyObject): SignedManifest {
  return { manifest, signature: sign(null, manifestDigest(manifest), privateKey).toString('base64') };
}

export async function signPackage(pkgDir: string, privateKey: KeyObject): Promise<SignedManifest> {
  return signManifest(await packageManifest(pkgDir), privateKey);
}

/** False for a bad signature, a key that is not Ed25519, or garbage: the caller only needs yes or no. */
export function verifySignedManifest(signed: SignedManifest, publicKeyPem: string): boolean {
  try {
    const key = createPublicKey(publicKeyPem);
    if (key.asymmetricKeyType !== 'ed25519') return false;
    return verify(null, manifestDigest(signed.manifest), key, Buffer.from(signed.signature, 'base64'));
  } catch {
    return false;
  }
}
