/**
 * What a studio signs when it sends a model to a device: a canonical manifest of the package's files
 * (model.json and the files it names; name, size, SHA-256), and an Ed25519 signature over the SHA-256 of that manifest's bytes. The device
 * checks the signature against the key it learned at pairing, then every file against the manifest, so
 * neither a changed byte nor a model from another studio can become active.
 *
 * A signature never expires, so a package signed once could be sent again later to undo a newer deploy
 * (a downgrade by replay). Manifests of format 2 therefore also sign a deploy `sequence` that the studio
 * raises with every deploy, and whether the person chose to install an older version (`allowDowngrade`);
 * the device refuses a sequence it has already passed. Format 1 (studios before this) carries neither.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';

/** Plain file names only: no folders, no hidden files, nothing a path join could escape with. */
export const manifestFileNameSchema = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, 'a plain file name (letters, digits, dot, dash, underscore)');

export const LEGACY_MANIFEST_FORMAT = 'tinym2-model-manifest/1';
export const MANIFEST_FORMAT = 'tinym2-model-manifest/2';

/**
 * The largest deploy sequence anyone signs or accepts: 2^40, a million deploys a second for twelve days,
 * so no honest counter gets near it. The bound exists so that a sequence can always be raised by one and
 * stay an exact integer: with no bound, a studio could sign Number.MAX_SAFE_INTEGER, after which no studio
 * could sign a higher one for that model.
 */
export const MAX_DEPLOY_SEQUENCE = 2 ** 40;

/** A deploy sequence as every schema takes it (the manifest, the agent's record, `/info`, the studio's counter). */
export const deploySequenceSchema = z
  .number()
  // First, so a number past it is refused in these words rather than as "not a safe integer".
  .max(MAX_DEPLOY_SEQUENCE, `a deploy sequence is at most 2^40 (${MAX_DEPLOY_SEQUENCE}), far above any real count of deploys`)
  .int()
  .nonnegative();

const manifestBody = {
  modelId: z.string().min(1).max(200),
  version: z.string().min(1).max(100),
  files: z
    .array(z.object({ name: manifestFileNameSchema, bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }))
    .min(1)
    .max(64),
};

export const manifestSchema = z.discriminatedUnion('format', [
  z.object({ format: z.literal(LEGACY_MANIFEST_FORMAT), ...manifestBody }),
  z.object({
    format: z.literal(MANIFEST_FORMAT),
    ...manifestBody,
    /** Raised by the studio with every deploy to a device; the device refuses one it has already passed. */
    sequence: deploySequenceSchema.min(1),
    /** True only when the person chose to install an older version than the one the device runs. */
    allowDowngrade: z.boolean(),
  }),
]);
export type ModelManifest = z.infer<typeof manifestSchema>;
export type ManifestFiles = ModelManifest['files'];

/** What a format-2 manifest adds: the deploy counter and the person's choice to go back a version. */
export interface DeployStamp {
  readonly sequence: number;
  readonly allowDowngrade: boolean;
}

export interface SignedManifest {
  readonly manifest: ModelManifest;
  /** Ed25519 signature (base64) over SHA-256(canonicalManifestBytes(manifest)). */
  readonly signature: string;
}

export const sortedFiles = (files: ManifestFiles): ManifestFiles =>
  [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((f) => ({ name: f.name, bytes: f.bytes, sha256: f.sha256 }));

/**
 * The exact bytes signed: fixed key order, files sorted by name, no whitespace. Every field the device
 * acts on is in here; format 1 keeps its original bytes so signatures made by older studios still verify.
 */
export function canonicalManifestBytes(m: ModelManifest): Buffer {
  const files = sortedFiles(m.files);
  const body =
    m.format === MANIFEST_FORMAT
      ? { format: m.format, modelId: m.modelId, version: m.version, sequence: m.sequence, allowDowngrade: m.allowDowngrade, files }
      : { format: m.format, modelId: m.modelId, version: m.version, files };
  return Buffer.from(JSON.stringify(body), 'utf8');
}

export function manifestDigest(m: ModelManifest): Buffer {
  return createHash('sha256').update(canonicalManifestBytes(m)).digest();
}

/**
 * The package's identity without the deploy stamp: the same files sent twice (with two sequences) are one
 * package. Equal to `manifestDigest` of a format-1 manifest, so folders named by older agents keep their names.
 */
export function packageContentDigest(m: ModelManifest): Buffer {
  return manifestDigest({ format: LEGACY_MANIFEST_FORMAT, modelId: m.modelId, version: m.version, files: m.files });
}

/** A package as a deploy carries it: its id and version and the files the device receives (pi/deployPackage.ts reads them). */
export interface PackageContents {
  readonly modelId: string;
  readonly version: string;
  readonly files: ManifestFiles;
}

/** The manifest of `contents`: format 2 with a stamp, format 1 without (only for agents too old to read format 2). */
export function stampManifest(contents: PackageContents, stamp?: DeployStamp): ModelManifest {
  const body = { modelId: contents.modelId, version: contents.version, files: [...contents.files] };
  return manifestSchema.parse(stamp ? { format: MANIFEST_FORMAT, ...body, sequence: stamp.sequence, allowDowngrade: stamp.allowDowngrade } : { format: LEGACY_MANIFEST_FORMAT, ...body });
}

export function signManifest(manifest: ModelManifest, privateKey: KeyObject): SignedManifest {
  return { manifest, signature: sign(null, manifestDigest(manifest), privateKey).toString('base64') };
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
