/**
 * Which files of a package folder a Pi deploy signs and sends: `model.json` and the files it names in
 * `files.*`, nothing else. A package folder may hold other files (a recording someone left there, notes),
 * and those never leave this computer with a deploy.
 *
 * Every file is read through the input-file door (no symbolic links, regular files only, under the size
 * caps), and a package the Pi cannot take as it is (files in subfolders, names a device manifest does not
 * allow) is refused here, before anything is sent.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { modelPackageMetaSchema } from '../../models/packageMeta';
import { INPUT_LIMITS, readInputFile, resolveInside } from '../../storage/inputFile';
import { manifestFileNameSchema, signManifest, sortedFiles, stampManifest, type DeployStamp, type ManifestFiles, type ModelManifest, type PackageContents, type SignedManifest } from '../modelSigning';

/** Why a package folder cannot be sent to a device as it is; the message names the folder or file. */
export class PackageNotDeployableError extends Error {
  override readonly name = 'PackageNotDeployableError';
}

/** model.json and the files it names, each read and hashed (see the module comment). */
export async function packageContents(pkgDir: string): Promise<PackageContents> {
  const metaPath = join(pkgDir, 'model.json');
  const metaBytes = await readInputFile(metaPath, { maxBytes: INPUT_LIMITS.manifestBytes, kind: 'model.json', noSymlink: true });
  let raw: unknown;
  try {
    raw = JSON.parse(metaBytes.toString('utf8'));
  } catch (e) {
    throw new PackageNotDeployableError(`${metaPath}: not valid JSON (${(e as Error).message}); fix or export the package again`);
  }
  // The package schema, not just the fields used here: it knows which `files.*` roles exist, so an
  // unknown role naming some other file in the folder is not signed.
  const parsed = modelPackageMetaSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PackageNotDeployableError(`${metaPath}: field '${issue.path.join('.') || '(root)'}': ${issue.message}`);
  }
  const meta = parsed.data;
  const named = Object.entries(meta.files).filter((e): e is [string, string] => e[1] !== undefined);
  const inSubfolders = named.filter(([, name]) => name.includes('/'));
  if (inSubfolders.length) {
    throw new PackageNotDeployableError(
      `${pkgDir}: this package keeps files in subfolders, which a Pi deploy does not carry: ${inSubfolders.map(([field, name]) => `files.${field} '${name.slice(0, 200)}'`).join(', ')}. ` +
        "Move those files next to model.json and name them so in its 'files' (and 'sha256'), then deploy again; nothing was sent",
    );
  }
  const unplain = named.filter(([, name]) => !manifestFileNameSchema.safeParse(name).success);
  if (unplain.length) {
    throw new PackageNotDeployableError(
      `${pkgDir}: ${unplain.map(([field, name]) => `files.${field} '${name.slice(0, 80)}'`).join(', ')} cannot be sent to a device, whose file names are letters, digits, dot, dash and underscore, not starting with a dot (at most 128). ` +
        'Rename the file and its entry in model.json, then deploy again; nothing was sent',
    );
  }
  const files: ManifestFiles = [{ name: 'model.json', bytes: metaBytes.length, sha256: createHash('sha256').update(metaBytes).digest('hex') }];
  // Two roles may name one file (one of them could even name model.json): it is sent once.
  for (const [field, name] of named) {
    if (files.some((f) => f.name === name)) continue;
    const bytes = await readInputFile(resolveInside(pkgDir, name, `files.${field}`), { maxBytes: INPUT_LIMITS.modelFileBytes, kind: 'model file', noSymlink: true });
    files.push({ name, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  return { modelId: meta.id, version: meta.version, files: sortedFiles(files) };
}

/** The manifest a deploy of `pkgDir` signs: format 2 with a stamp, format 1 without (agents too old for format 2). */
export async function packageManifest(pkgDir: string, stamp?: DeployStamp): Promise<ModelManifest> {
  return stampManifest(await packageContents(pkgDir), stamp);
}

export async function signPackage(pkgDir: string, privateKey: KeyObject, stamp?: DeployStamp): Promise<SignedManifest> {
  return signManifest(await packageManifest(pkgDir, stamp), privateKey);
}
