import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isTrustedSender, type RendererLocation } from '../../src-main/electron/trustedSender';

const dev: RendererLocation = { devServerUrl: 'http://localhost:5173' };
const file = '/opt/TinyM2 Studio/resources/app/out/renderer/index.html';
const built: RendererLocation = { fileUrl: pathToFileURL(file).href };

test('development: the dev server origin exactly, any path and route on it', () => {
  for (const url of ['http://localhost:5173', 'http://localhost:5173/', 'http://localhost:5173/#/screen', 'http://localhost:5173/src/main.ts?t=1']) assert.equal(isTrustedSender(url, dev), true, url);
  for (const url of [
    'http://localhost:5173.evil.com/',
    'http://localhost:51730/',
    'http://localhost:5174/',
    'https://localhost:5173/',
    'ws://localhost:5173/',
    'http://127.0.0.1:5173/',
    'http://localhost.:5173/',
    'http://user@localhost:5173/',
    'http://localhost:5173@evil.com/',
    'file:///opt/index.html',
    'about:blank',
    'data:text/html,hi',
    'javascript:alert(1)',
    'not a url',
    '',
    undefined,
  ]) assert.equal(isTrustedSender(url, dev), false, String(url));
});

test('development: a dev server URL that is not http(s) trusts nothing', () => {
  assert.equal(isTrustedSender('file:///x', { devServerUrl: 'file:///x' }), false);
  assert.equal(isTrustedSender('null', { devServerUrl: 'nonsense' }), false);
});

test('built app: the renderer file itself, whatever its route or query, and however its path is escaped or dotted', () => {
  const href = pathToFileURL(file).href;
  assert.match(href, /TinyM2%20Studio/);
  for (const url of [href, `${href}#/screen`, `${href}?x=1#/models`, href.replace('%20', ' '), href.replace('index.html', '%69ndex.html'), href.replace('/renderer/', '/renderer/sub/../')]) assert.equal(isTrustedSender(url, built), true, url);
});

test('built app: anything else, including prefix tricks, is not the renderer', () => {
  const href = pathToFileURL(file).href;
  for (const url of [
    `${href}.evil`,
    `${href}/`,
    href.replace('index.html', 'index.htm'),
    href.replace('index.html', 'other.html'),
    href.replace('/renderer/', '/renderer/sub/'),
    href.replace('/renderer/', '/renderer/../'),
    href.replace('out/renderer', 'out%2Frenderer'),
    href.replace('file:///', 'file://evil.example/'),
    href.replace('file:', 'http:'),
    'file:///opt/TinyM2%20Studio/resources/app/out/renderer/',
    'file:///etc/passwd',
    'http://localhost:5173/',
    'about:blank',
    'data:text/html,<script>1</script>',
    'javascript:alert(1)',
    '%%',
    undefined,
  ]) assert.equal(isTrustedSender(url, built), false, String(url));
});
