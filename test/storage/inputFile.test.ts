import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InputFileError, readInputFile, readInputFileSync, relativeFileNameSchema, relativeNameProblem, resolveInside } from '../../src-main/storage/inputFile';

const dir = mkdtempSync(join(tmpdir(), 'tinym2-input-'));
writeFileSync(join(dir, 'a.bin'), Buffer.alloc(100, 7));
mkdirSync(join(dir, 'sub'));
writeFileSync(join(dir, 'sub', 'b.bin'), 'b');
symlinkSync('/etc/hostname', join(dir, 'link.bin'));
symlinkSync('/etc', join(dir, 'linkdir'));

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof InputFileError, String(e));
    return e.reason;
  }
  return 'none';
}

async function reasonOfAsync(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
  } catch (e) {
    assert.ok(e instanceof InputFileError, String(e));
    return e.reason;
  }
  return 'none';
}

test('plain relative names pass; climbing, absolute, drive, backslash, control and empty names do not', () => {
  for (const ok of ['model.onnx', 'sub/b.bin', 'a b.wav', 'ünï.json']) assert.equal(relativeNameProblem(ok), undefined, ok);
  for (const bad of ['', '../x', 'a/../../x', '/etc/passwd', 'C:\\x', 'c:x', 'a\\b', 'a\u0000b', 'a//b', './a', 'a/.', 'x'.repeat(2000)]) {
    assert.ok(relativeNameProblem(bad), JSON.stringify(bad));
    assert.equal(relativeFileNameSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
});

test('resolveInside keeps names in their folder, also through symlinked folders', () => {
  assert.equal(resolveInside(dir, 'sub/b.bin', 'files.x'), join(dir, 'sub', 'b.bin'));
  assert.equal(reasonOf(() => resolveInside(dir, '../../../PWNED.sh', 'files.architecture')), 'badName');
  assert.equal(reasonOf(() => resolveInside(dir, 'linkdir/hostname', 'row 2 path')), 'escapes');
  const e = (() => {
    try {
      resolveInside(dir, '../../../PWNED.sh', 'files.architecture');
    } catch (err) {
      return err as Error;
    }
    return undefined;
  })();
  assert.match(e!.message, /files\.architecture/);
  // A name that does not exist yet resolves (the reader then says it is missing).
  assert.equal(resolveInside(dir, 'new.bin', 'x'), join(dir, 'new.bin'));
});

test('reads regular files under the cap and refuses devices, folders, FIFOs, symlinks and oversize files', async () => {
  const o = { maxBytes: 1000, kind: 'recording' };
  assert.equal((await readInputFile(join(dir, 'a.bin'), o)).length, 100);
  assert.equal(readInputFileSync(join(dir, 'a.bin'), o).length, 100);
  assert.equal(await reasonOfAsync(() => readInputFile('/dev/zero', o)), 'notRegular');
  assert.equal(reasonOf(() => readInputFileSync('/dev/zero', o)), 'notRegular');
  assert.equal(await reasonOfAsync(() => readInputFile(dir, o)), 'notRegular');
  assert.equal(await reasonOfAsync(() => readInputFile(join(dir, 'nope.wav'), o)), 'missing');
  assert.equal(await reasonOfAsync(() => readInputFile(join(dir, 'a.bin'), { ...o, maxBytes: 99 })), 'tooLarge');
  assert.equal(reasonOf(() => readInputFileSync(join(dir, 'a.bin'), { ...o, maxBytes: 99 })), 'tooLarge');
  assert.equal(await reasonOfAsync(() => readInputFile(join(dir, 'link.bin'), { ...o, noSymlink: true })), 'symlink');
  assert.ok((await readInputFile(join(dir, 'link.bin'), o)).length > 0, 'a link the person picked is followed');
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  assert.equal(await reasonOfAsync(() => readInputFile(join(dir, 'fifo'), o)), 'notRegular');
  assert.equal(reasonOf(() => readInputFileSync(join(dir, 'fifo'), o)), 'notRegular');
});

test("a name that only starts with '..' is a legal name inside the folder", () => {
  writeFileSync(join(dir, '..hidden.bin'), 'x');
  assert.equal(relativeNameProblem('..hidden.bin'), undefined);
  assert.equal(resolveInside(dir, '..hidden.bin', 'x'), join(dir, '..hidden.bin'));
});
