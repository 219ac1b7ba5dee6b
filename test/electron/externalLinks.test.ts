import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { externalLinkDecision, externalLinkHosts } from '../../src-main/electron/externalLinks';
import { repoRoot } from '../../src-main/storage/appPaths';

test('https links to the allow-listed documentation hosts open, as the URL that was checked', () => {
  assert.deepEqual(externalLinkDecision('https://arxiv.org/abs/2405.12353'), { open: true, url: 'https://arxiv.org/abs/2405.12353' });
  assert.deepEqual(externalLinkDecision('https://www.raspberrypi.com/documentation/computers/processors.html#bcm2711'), { open: true, url: 'https://www.raspberrypi.com/documentation/computers/processors.html#bcm2711' });
  assert.deepEqual(externalLinkDecision('HTTPS://ArXiv.ORG/abs/1'), { open: true, url: 'https://arxiv.org/abs/1' }, 'case is normalised before the check');
  assert.deepEqual(externalLinkDecision('https://arxiv.org:443/abs/1'), { open: true, url: 'https://arxiv.org/abs/1' }, 'the default port is no port');
});

test('the allow-list covers every link the bundled resources cite', () => {
  const targets = join(repoRoot, 'resources', 'targets');
  const texts = [...readdirSync(targets).map((f) => readFileSync(join(targets, f), 'utf8')), readFileSync(join(repoRoot, 'resources', 'samples', 'ATTRIBUTION.md'), 'utf8')];
  const cited = texts.flatMap((t) => [...t.matchAll(/https:\/\/[^\s"<>)]+/g)].map((m) => m[0]));
  assert.ok(cited.length > 0);
  for (const url of cited) assert.equal(externalLinkDecision(url).open, true, url);
});

test('everything else is refused with a reason', () => {
  for (const url of [
    'http://arxiv.org/abs/1',
    'https://arxiv.org.evil.com/',
    'https://evil-arxiv.org/',
    'https://sub.arxiv.org/',
    'https://arxiv.org./abs/1',
    'https://arxiv.org@evil.com/',
    'https://github.com:pass@evil.com/',
    'https://user@arxiv.org/',
    'https://evil.com\\@arxiv.org/',
    'https://evil.com#@arxiv.org',
    'https://arxiv.org:8443/',
    'https://аrxiv.org/',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'file:///etc/passwd',
    'ftp://arxiv.org/',
    'mailto:a@arxiv.org',
    'ms-msdt:/id PCWDiagnostic',
    '//arxiv.org/abs/1',
    'arxiv.org/abs/1',
    '',
    `https://arxiv.org/${'a'.repeat(3000)}`,
  ]) {
    const d = externalLinkDecision(url);
    assert.equal(d.open, false, url);
    assert.ok(!d.open && d.reason.length > 0);
  }
});

test('the allow-list is exact host names, https only, and nothing the renderer could widen', () => {
  for (const host of externalLinkHosts) assert.match(host, /^[a-z0-9.-]+$/);
  assert.equal(externalLinkDecision('https://example.org/', new Set(['example.org'])).open, true);
  assert.equal(externalLinkDecision('https://arxiv.org/', new Set()).open, false);
});
