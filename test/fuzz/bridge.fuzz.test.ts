/**
 * Fuzzing the local bridge (issue #21 item 5): mutated HTTP requests (request line, %-escapes in the
 * path, Host / Origin / Authorization / Content-Length / Transfer-Encoding headers, JSON bodies) over raw
 * TCP, and mutated WebSocket frames on sockets that completed the handshake with the token. The bridge
 * runs in the target process (targets/bridge.ts): a crash there is a failure of the input that caused it,
 * and every 100 inputs it must still answer a valid call and accept an event socket.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { apiMethods } from '../../src-main/api/contract';
import { describeFailures, describeOutcome, describeReport, failureOf, fuzz, fuzzInputs, fuzzSeed, readCorpus, TargetProcess, type CorpusFile, type Outcome } from './fuzzTarget';
import { chance, HOSTILE_STRINGS, mutateBytes, mutateJson, parseWsFrames, pick, wsFrame, type Random, type WsFrame } from './mutator';

const corpus = readCorpus('bridge');
const httpCorpus = corpus.filter((f) => f.name.endsWith('.http'));
const wsCorpus = corpus.filter((f) => f.name.endsWith('.ws'));
const byName = (name: string) => corpus.find((f) => f.name === name)!;
const target = new TargetProcess('bridge', new URL('./targets/bridge.ts', import.meta.url));
after(() => target.close());

// --- HTTP -------------------------------------------------------------------------------------------------

interface HttpRequest {
  method: string;
  target: string;
  version: string;
  headers: [string, string][];
  body: string;
  /** Content-Length was set on purpose (a lie); otherwise it is recomputed for the body. */
  lengthSet: boolean;
}

const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');

function parseHttp(bytes: Uint8Array): HttpRequest | undefined {
  const text = latin1(bytes);
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [line, ...headerLines] = text.slice(0, end).split('\r\n');
  const parts = line!.split(' ');
  if (parts.length !== 3) return undefined;
  const headers = headerLines.map((h): [string, string] => [h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1).trim()]);
  return { method: parts[0]!, target: parts[1]!, version: parts[2]!, headers, body: text.slice(end + 4), lengthSet: false };
}

/** The body's length once $PAD(n) is expanded by the target. */
function expandedLength(body: string): number {
  let n = body.length;
  for (const m of body.matchAll(/\$PAD\((\d{1,8})\)/g)) n += Math.min(Number(m[1]), 16 * 1024 * 1024) - m[0].length;
  return n;
}

function serialiseHttp(r: HttpRequest): Uint8Array {
  const headers = r.headers.filter(([k]) => r.lengthSet || k.toLowerCase() !== 'content-length');
  const chunked = headers.some(([k, v]) => k.toLowerCase() === 'transfer-encoding' && /chunked/i.test(v));
  if (!r.lengthSet && !chunked && (r.body.length > 0 || r.method === 'POST')) headers.push(['Content-Length', String(expandedLength(r.body))]);
  const head = `${r.method} ${r.target} ${r.version}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.from(head + r.body, 'latin1');
}

const API_METHODS = Object.keys(apiMethods);
const PATHS = [
  '/api/%',
  '/api/%E0%A4%A',
  '/api/%C0%AE%C0%AE/',
  '/api/%00',
  '/api/app%2Einfo',
  '/api/..%2f..%2fetc%2fpasswd',
  '/api/app.info?x=%zz#frag',
  '//api/app.info',
  '/api/app.info/',
  '/api//app.info',
  '/api/',
  '/api',
  '/API/app.info',
  '/events',
  '/',
  '/index.html',
  '/assets/app.js',
  '/assets/',
  '/../outside.txt',
  '/%2e%2e/outside.txt',
  '/..%2foutside.txt',
  '/..%252foutside.txt',
  '/../renderer.txt',
  '/assets/../../outside.txt',
  '/\\..\\outside.txt',
  '*',
  'http://$HOST/api/app.info',
  'http://evil.example/api/app.info',
  `/${'a'.repeat(10_000)}`,
  `/api/${'%41'.repeat(2000)}`,
  '/api/app.info\u0000',
  '/api/__proto__',
  '/api/constructor',
  '/api/hasOwnProperty',
];
const HEADER_VALUES: Record<string, readonly string[]> = {
  host: ['$HOST', 'localhost:$PORT', 'evil.example', '127.0.0.1', '', '$HOST, evil.example', '[::1]:$PORT', '127.0.0.1:$PORT.evil.example', 'LOCALHOST:$PORT'],
  authorization: ['Bearer $TOKEN', 'Bearer ', 'Bearer wrong', 'bearer $TOKEN', 'Basic YTpi', 'Bearer $TOKEN$TOKEN', `Bearer ${'A'.repeat(8000)}`, 'Bearer $TOKEN\u0000'],
  origin: ['$ORIGIN', 'http://localhost:$PORT', 'http://evil.example', 'null', 'http://127.0.0.1:1', 'file://', '$ORIGIN.evil.example', 'HTTP://127.0.0.1:$PORT'],
  'content-length': ['0', '-1', 'abc', '99999999999999999999', '1e3', ' 2', '2, 2', '2, 3', '300000', '262145', '4294967296'],
  'transfer-encoding': ['chunked', 'gzip', 'chunked, chunked', 'identity', 'gzip, chunked', 'Chunked'],
  'content-type': ['application/json', 'text/plain', 'application/json; charset=latin1', 'multipart/form-data; boundary=x'],
  expect: ['100-continue', '100-Continue', 'nothing'],
  connection: ['close', 'keep-alive', 'upgrade', 'Upgrade, close'],
  upgrade: ['websocket', 'h2c', 'websocket, websocket'],
};
const BODY_VOCABULARY = ['coswara-gender-audio', '/tmp/package', '/etc/passwd', '../../../PWNED.sh', 'C:\\x', 'UklGRg==', '0f8fad5b-d9cb-469f-a165-70867728950e', 'cough', 'x'.repeat(300)];

function setHeader(r: HttpRequest, name: string, value: string): void {
  r.headers = r.headers.filter(([k]) => k.toLowerCase() !== name);
  r.headers.push([name, value]);
}

function mutateHttpRequest(r: HttpRequest, random: Random): void {
  switch (random.int(9)) {
    case 0:
      r.method = pick(random, ['POST', 'GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE', 'post', 'P0ST', 'POST POST', 'X'.repeat(200)]);
      break;
    case 1:
      r.target = chance(random, 0.5) ? `/api/${pick(random, API_METHODS)}` : pick(random, PATHS);
      break;
    case 2: {
      // A %-escape, valid or not, somewhere in the path.
      const at = random.int(r.target.length + 1);
      const hex = '0123456789abcdefABCDEFzZ%';
      const escape = `%${pick(random, [...hex])}${chance(random, 0.8) ? pick(random, [...hex]) : ''}`;
      r.target = r.target.slice(0, at) + escape + r.target.slice(at);
      break;
    }
    case 3:
      r.version = pick(random, ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'http/1.1', '', 'HTTP/9.9', 'HTTP/1.1x', 'HTTP/1.01']);
      break;
    case 4: {
      const name = pick(random, Object.keys(HEADER_VALUES));
      const op = random.int(4);
      if (op === 0) r.headers = r.headers.filter(([k]) => k.toLowerCase() !== name);
      else if (op === 1) r.headers.push([name, pick(random, HEADER_VALUES[name]!)]);
      else setHeader(r, name, pick(random, HEADER_VALUES[name]!));
      if (name === 'content-length') r.lengthSet = op !== 0;
      break;
    }
    case 5: {
      const op = random.int(5);
      if (op === 0) r.headers.push([pick(random, ['X-A\u0000', 'Bad Header', '', ':', 'X\r\nInjected']), pick(random, HOSTILE_STRINGS)]);
      else if (op === 1) r.headers.push(['X-Long', 'a'.repeat(2 ** (8 + random.int(8)))]);
      else if (op === 2) for (let i = 0; i < 100 + random.int(200); i++) r.headers.push([`X-N${i}`, 'v']);
      else if (op === 3) r.headers.push(['X-Folded', 'a\r\n continued']);
      else r.headers = r.headers.filter(() => chance(random, 0.7));
      break;
    }
    case 6:
    case 7:
      r.body = mutateJson(r.body || '{}', random, { vocabulary: BODY_VOCABULARY, maxArray: 20_000 });
      break;
    default:
      r.body = pick(random, [
        '',
        '{',
        'null',
        '[]',
        '"x"',
        '1',
        '\xff\xfe{}',
        '{"id":"\xc3\x28"}',
        '['.repeat(100_000),
        `{"id":"${'x'.repeat(300_000)}"}`,
        '{"__proto__":{"polluted":true}}',
        '{"id":1e999}',
        '2\r\n{}\r\n0\r\n\r\n',
        'ffffffffff\r\n{}\r\n0\r\n\r\n',
      ]);
  }
}

function mutateHttp(parent: CorpusFile, random: Random, others: readonly Uint8Array[]): Uint8Array {
  const r = parseHttp(parent.bytes);
  if (!r || chance(random, 0.1)) return mutateBytes(parent.bytes, random, { corpus: others, maxLength: 512 * 1024 });
  for (let n = 1 + random.int(3); n > 0; n--) mutateHttpRequest(r, random);
  const bytes = serialiseHttp(r);
  return chance(random, 0.1) ? mutateBytes(bytes, random, { corpus: others, maxLength: 512 * 1024 }) : bytes;
}

// --- WebSocket --------------------------------------------------------------------------------------------

const PAYLOADS: readonly Uint8Array[] = [
  new Uint8Array(0),
  Buffer.from('{"event":"app.status"}'),
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xed, 0xa0, 0x80]), // a UTF-16 surrogate encoded as UTF-8: invalid
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), // past U+10FFFF
  Buffer.from('x'.repeat(126)),
  Buffer.from([0x03, 0xe8]), // close 1000
  Buffer.from([0x03, 0xed]), // close 1005: may not be sent
  Buffer.from([0x00, 0x00]),
  Buffer.from([0x13, 0x88]), // close 5000
  Buffer.from([0x03]),
];

function mutateFrame(f: WsFrame, random: Random): WsFrame {
  switch (random.int(9)) {
    case 0:
      return { ...f, opcode: random.int(16) };
    case 1:
      return { ...f, fin: !(f.fin ?? true) };
    case 2:
      return { ...f, rsv: 1 + random.int(7) };
    case 3:
      return { ...f, masked: !(f.masked ?? true) };
    case 4:
      return { ...f, maskKey: random.int(2 ** 32) };
    case 5:
      return { ...f, declaredLength: pick(random, [0n, 1n, 125n, 126n, 65535n, 65536n, 65537n, 2n ** 32n, 2n ** 63n - 1n, 2n ** 64n - 1n, BigInt(f.payload.length + 1), BigInt(Math.max(0, f.payload.length - 1))]) };
    case 6:
      return { ...f, lengthForm: pick(random, [7, 16, 64] as const), declaredLength: BigInt(Math.min(f.payload.length, 125)) };
    case 7:
      return { ...f, payload: pick(random, PAYLOADS) };
    default:
      return { ...f, payload: mutateBytes(f.payload.length ? f.payload : Uint8Array.of(0x7b), random, { maxLength: 70 * 1024 }) };
  }
}

function mutateWs(parent: CorpusFile, random: Random, others: readonly Uint8Array[]): Uint8Array {
  const frames = parseWsFrames(parent.bytes);
  if (!frames || !frames.length || chance(random, 0.15)) return mutateBytes(parent.bytes, random, { corpus: others, maxLength: 256 * 1024 });
  for (let n = 1 + random.int(3); n > 0; n--) {
    const i = random.int(frames.length);
    const op = random.int(6);
    if (op < 3) frames[i] = mutateFrame(frames[i]!, random);
    else if (op === 3 && frames.length < 64) frames.splice(i, 0, ...Array.from({ length: 1 + random.int(8) }, () => frames[i]!));
    else if (op === 4 && frames.length > 1) frames.splice(i, 1);
    else frames.push({ opcode: pick(random, [0, 1, 2, 8, 9, 10]), fin: chance(random, 0.7), payload: pick(random, PAYLOADS) });
  }
  return Buffer.concat(frames.map(wsFrame));
}

// --- Tests ------------------------------------------------------------------------------------------------

function statusOf(o: Outcome): number | null | undefined {
  return o.status === 'returned' ? (o.value as { status: number | null }).status : undefined;
}

async function assertStillServes(): Promise<void> {
  const health = await target.check();
  const broken = failureOf(health);
  assert.equal(broken, undefined, `the bridge stopped working: ${broken?.kind}: ${broken?.detail}`);
}

/** The answer each hand-crafted request must get (issue #21). */
const HTTP_REGRESSIONS: Record<string, { status: number; why: string }> = {
  'http-body-over-limit.http': { status: 413, why: 'a body over the limit is answered 413, not reset' },
  'http-chunked-body-over-limit.http': { status: 413, why: 'a chunked body over the limit is answered 413, not reset' },
  'http-bad-percent-escape.http': { status: 400, why: 'a bad %-escape in the path is a 400, not a 500' },
  'http-foreign-origin.http': { status: 403, why: 'an API call from a foreign Origin is refused with 403' },
  'http-foreign-host.http': { status: 421, why: 'a foreign Host header is refused (DNS rebinding)' },
  'http-absolute-form-target.http': { status: 400, why: 'an absolute-form target naming another host is a 400' },
};

describe('the local bridge under fuzzing', () => {
  test('the seed requests are answered without a 5xx, and the seed frames leave the bridge serving', async () => {
    for (const f of corpus.filter((c) => c.name.startsWith('seed-'))) {
      const o = await target.run(f.bytes, f.name);
      assert.equal(failureOf(o), undefined, `${f.name} ${describeOutcome(o)}`);
      if (f.name.endsWith('.http')) assert.ok((statusOf(o) ?? 0) > 0, `${f.name} got no answer: ${describeOutcome(o)}`);
    }
    assert.equal(statusOf(await target.run(byName('seed-app-info.http').bytes, 'seed-app-info.http')), 200);
    await assertStillServes();
  });

  for (const [name, expected] of Object.entries(HTTP_REGRESSIONS)) {
    test(`${name}: ${expected.why}`, async () => {
      const o = await target.run(byName(name).bytes, name);
      assert.equal(failureOf(o), undefined, `${name} ${describeOutcome(o)}`);
      assert.equal(statusOf(o), expected.status, `${name} ${describeOutcome(o)}`);
      await assertStillServes();
    });
  }

  for (const name of ['http-static-traversal.http', 'http-static-sibling-prefix.http']) {
    test(`${name}: a path out of the renderer folder never serves the file beside it`, async () => {
      const o = await target.run(byName(name).bytes, name);
      assert.equal(failureOf(o), undefined, `${name} ${describeOutcome(o)}`);
      assert.ok([200, 400, 404].includes(statusOf(o) ?? 0), `${name} ${describeOutcome(o)}`);
    });
  }

  test('ws-frame-over-64k.ws: a 70 000-byte frame from a client holding the token closes that socket (1009); the bridge survives', async () => {
    const o = await target.run(byName('ws-frame-over-64k.ws').bytes, 'ws-frame-over-64k.ws');
    assert.equal(failureOf(o), undefined, describeOutcome(o));
    assert.equal((o as { value: { closeCode?: number } }).value.closeCode, 1009, describeOutcome(o));
    await assertStillServes();
  });

  test('ws-invalid-utf8.ws: a text frame that is not UTF-8 closes that socket (1007); the bridge survives', async () => {
    const o = await target.run(byName('ws-invalid-utf8.ws').bytes, 'ws-invalid-utf8.ws');
    assert.equal(failureOf(o), undefined, describeOutcome(o));
    assert.equal((o as { value: { closeCode?: number } }).value.closeCode, 1007, describeOutcome(o));
    await assertStillServes();
  });

  const inputs = fuzzInputs(2000);
  const httpSeed = fuzzSeed(21_05_05);
  test(`${inputs} mutated HTTP requests (seed ${httpSeed}): never a 5xx, never a file from outside, the bridge keeps serving, none over 5 s, target peak RSS ≤ 1 GiB`, async (t) => {
    const others = httpCorpus.map((f) => f.bytes);
    const report = await fuzz({
      target,
      corpus: httpCorpus,
      seed: httpSeed,
      inputs,
      checkEvery: 100,
      mutate: (parent, random) => mutateHttp(parent, random, others),
      classify: (o) => (o.status === 'returned' ? `${(o.value as { status: number | null }).status ?? 'no answer'}${(o.value as { afterHangUp: boolean }).afterHangUp ? ' after hang-up' : ''}` : o.status),
    });
    t.diagnostic(describeReport(report));
    assert.equal(report.failures.length, 0, describeFailures(report));
  });

  const wsSeed = fuzzSeed(21_05_06);
  test(`${inputs} mutated WebSocket frame sequences (seed ${wsSeed}) on authenticated sockets: the bridge survives and keeps serving, none over 5 s`, async (t) => {
    const others = wsCorpus.map((f) => f.bytes);
    const report = await fuzz({
      target,
      corpus: wsCorpus,
      seed: wsSeed,
      inputs,
      checkEvery: 100,
      mutate: (parent, random) => mutateWs(parent, random, others),
      classify: (o) => {
        if (o.status !== 'returned') return o.status;
        const v = o.value as { closeCode?: number; answeredPing: boolean; closed: boolean };
        return v.closeCode !== undefined ? `closed ${v.closeCode}` : v.answeredPing ? 'ping answered' : v.closed ? 'closed without a code' : 'no answer (frame left open)';
      },
    });
    t.diagnostic(describeReport(report));
    assert.equal(report.failures.length, 0, describeFailures(report));
  });
});
