import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FRAMES_CONTENT_TYPE, encodeFrameHeader, errorCodes, type VersionInfo } from '@cairn/core';
import {
  MiB_STRING,
  ODD_NUMBERS,
  ODD_STRINGS,
  casesFromOpenApi,
  type Case,
  type OpenApiDoc,
} from './bad-input-cases.js';
import { json, logFiles, post, sha256, testServer, type TestServer } from './helpers.js';

/**
 * The rule: bad input gets a clear error naming the problem — never a 5xx, never a stack, never
 * a generic "Internal Server Error" — and the data stored before the sweep is still there,
 * byte for byte. The cases come from /openapi.json, so new routes are swept automatically.
 */

let s: TestServer;
const files = {
  'a.txt': 'alpha\n',
  'dir/b.bin': Buffer.from([0, 1, 2, 3, 254, 255]),
  'dir/sub/c.json': '{"k": 1}',
};
let v0: VersionInfo;
let v1: VersionInfo;

interface Snapshot {
  versions: unknown;
  manifests: unknown[];
  bytes: Record<string, string>;
}

async function snapshot(): Promise<Snapshot> {
  const versions = await json<{ items: VersionInfo[] }>(
    fetch(`${s.api}/versions?entity=alice&project=proj&collection=data`),
  );
  const manifests: unknown[] = [];
  const bytes: Record<string, string> = {};
  for (const v of versions.items) {
    manifests.push(await json(fetch(`${s.api}/versions/${v.id}/manifest`)));
    for (const path of Object.keys(files)) {
      const r = await fetch(`${s.api}/versions/${v.id}/file?path=${encodeURIComponent(path)}`);
      assert.equal(r.status, 200, `${v.id} ${path}`);
      bytes[`${v.index}/${path}`] = sha256(Buffer.from(await r.arrayBuffer()));
    }
  }
  return { versions, manifests, bytes };
}

const GENERIC = [/internal server error/i, /^bad request$/i, /^error$/i, /^undefined$/];

/** Undefined when the answer obeys the rule, else what is wrong with it. */
async function verdict(res: Response): Promise<string | undefined> {
  const text = await res.text();
  if (res.status >= 500) return `HTTP ${res.status}: ${text.slice(0, 300)}`;
  if (res.status < 400) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `HTTP ${res.status} with a non-JSON body: ${text.slice(0, 200)}`;
  }
  const e = (body as { error?: { code?: unknown; message?: unknown } }).error;
  if (typeof e?.code !== 'string' || !Object.hasOwn(errorCodes, e.code)) {
    return `HTTP ${res.status} without a known error code: ${text.slice(0, 200)}`;
  }
  if (e.code === 'INTERNAL' || e.code === 'UNAVAILABLE')
    return `code ${e.code}: ${text.slice(0, 200)}`;
  if (errorCodes[e.code as keyof typeof errorCodes] !== res.status) {
    return `code ${e.code} sent with HTTP ${res.status}`;
  }
  const m = e.message;
  if (typeof m !== 'string' || m.trim().length < 8) return `message too thin: ${JSON.stringify(m)}`;
  if (m.includes('    at ') || /\.ts:\d+|\.js:\d+/.test(m))
    return `stack in message: ${m.slice(0, 200)}`;
  if (GENERIC.some((g) => g.test(m.trim()))) return `generic message: ${m}`;
  if (m.length > 4096) return `message of ${m.length} characters (echoes input?)`;
  return undefined;
}

async function send(c: Case): Promise<string | undefined> {
  try {
    const res = await fetch(`${s.url}${c.url}`, {
      method: c.method,
      headers: c.headers,
      ...(c.body !== undefined ? { body: c.body } : {}),
    });
    const v = await verdict(res);
    return v && `${c.label} -> ${v}`;
  } catch (err) {
    return `${c.label} -> request failed: ${(err as Error).message}`;
  }
}

/** Sends cases a few at a time; returns every rule break. */
async function sweep(cases: Case[]): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      while (next < cases.length) {
        const c = cases[next++] as Case;
        const f = await send(c);
        if (f) failures.push(f);
      }
    }),
  );
  return failures;
}

function c(
  label: string,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Case {
  return {
    label,
    method,
    url: `/api/v1${url}`,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  };
}

let before_: Snapshot;

before(async () => {
  s = await testServer();
  const r0 = await logFiles(s.api, {}, files, {
    aliases: ['best'],
    tags: ['t1'],
    metadata: { lr: 0.1 },
  });
  const r1 = await logFiles(s.api, {}, { ...files, 'a.txt': 'alpha 2\n' });
  v0 = await json(fetch(`${s.api}/versions/${r0.version.id}`));
  v1 = await json(fetch(`${s.api}/versions/${r1.version.id}`));
  before_ = await snapshot();
});
after(() => s.close());

describe('bad input, generated from the OpenAPI document', () => {
  test('every route, every malformed field: a 4xx with a named Cairn error, never a 5xx', async () => {
    const doc = await json<OpenApiDoc>(fetch(`${s.api}/openapi.json`));
    const cases = casesFromOpenApi(doc);
    assert.ok(Object.keys(doc.paths).length >= 30, 'the document lists the routes');
    assert.ok(cases.length > 1000, `${cases.length} cases`);
    const failures = await sweep(cases);
    assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases broke the rule`);
  });
});

describe('bad input, by hand, against stored data', () => {
  test('Range headers that are malformed, reversed, huge or of another unit', async () => {
    const sha = sha256(files['a.txt']);
    const ranges = [
      'bytes=abc',
      'bytes=5-2',
      'bytes=-0',
      'bytes=999999-',
      'bytes=0-99999999999999999999',
      'bytes=99999999999999999999999-',
      'bytes=1-2,3-4',
      'items=0-1',
      '',
      'bytes=-',
      'bytes=--1',
      'bytes=1e3-',
      'bytes=0x1-',
      `bytes=${'9'.repeat(4000)}-`,
    ];
    const cases: Case[] = [];
    for (const r of ranges) {
      cases.push(c(`blob Range ${r}`, 'GET', `/blobs/${sha}`, undefined, { range: r }));
      cases.push(
        c(`file Range ${r}`, 'GET', `/versions/${v0.id}/file?path=a.txt`, undefined, { range: r }),
      );
    }
    assert.deepEqual(await sweep(cases), []);
    const r = await fetch(`${s.api}/blobs/${sha}`, { headers: { range: 'bytes=999999-' } });
    assert.equal(r.status, 416);
    assert.equal(r.headers.get('content-range'), `bytes */${files['a.txt'].length}`);
  });

  test('refs that are malformed, out of range or of the wrong shape', async () => {
    const refs = [
      'alice/proj/data:v-1',
      'alice/proj/data:v1.5',
      'alice/proj/data:v99999999999999999999',
      'alice/proj/data:v1e3',
      'alice/proj/data:v',
      'alice/proj/data:',
      'alice/proj/data@',
      'alice/proj/data@zzz',
      'alice/proj/data:v0:v1',
      'alice/proj/data@abc:v0',
      'alice/proj',
      'a/b/c/d/e',
      '///',
      '',
      '../../etc/passwd',
      'alice/proj/..:v0',
      'alice/proj/data:%00',
      ...Object.values(ODD_STRINGS).map((x) => `alice/proj/data:${x}`),
    ];
    const cases = refs.map((r) => {
      const q = encodeURIComponent(r.replace(/[\ud800-\udfff]/g, '\ufffd'));
      return c(`ref ${JSON.stringify(r).slice(0, 60)}`, 'GET', `/versions/resolve?ref=${q}`);
    });
    for (const r of refs.slice(0, 12)) {
      const q = encodeURIComponent(r);
      cases.push(c(`lineage ref ${r}`, 'GET', `/lineage?ref=${q}`));
      cases.push(c(`link to ${r}`, 'POST', `/versions/${v1.id}/links`, { target: r }));
    }
    assert.deepEqual(await sweep(cases), []);
  });

  test('pagination cursors, limits and depths that are not numbers or not ours', async () => {
    const base = '/versions?entity=alice&project=proj&collection=data';
    const cursors = [
      'garbage',
      Buffer.from('{"not":"a cursor"}').toString('base64url'),
      Buffer.from('[1,2,3]').toString('base64url'),
      Buffer.from('null').toString('base64url'),
      Buffer.from('{"after":-1}').toString('base64url'),
      Buffer.from('{"index":"x","id":1}').toString('base64url'),
      '%00',
      '=',
      'x'.repeat(5000),
    ];
    const cases: Case[] = [];
    for (const cur of cursors) {
      cases.push(c(`versions cursor ${cur.slice(0, 30)}`, 'GET', `${base}&cursor=${cur}`));
      cases.push(
        c(
          `collections cursor ${cur.slice(0, 30)}`,
          'GET',
          `/collections?entity=alice&project=proj&cursor=${cur}`,
        ),
      );
      cases.push(
        c(`files cursor ${cur.slice(0, 30)}`, 'GET', `/versions/${v0.id}/files?cursor=${cur}`),
      );
    }
    for (const n of ODD_NUMBERS) {
      const e = encodeURIComponent(n);
      cases.push(c(`versions limit ${n}`, 'GET', `${base}&limit=${e}`));
      cases.push(c(`files limit ${n}`, 'GET', `/versions/${v0.id}/files?limit=${e}`));
      cases.push(c(`lineage depth ${n}`, 'GET', `/lineage?ref=alice/proj/data:v0&depth=${e}`));
      cases.push(c(`resolve v${n}`, 'GET', `/versions/resolve?ref=alice/proj/data:v${e}`));
    }
    assert.deepEqual(await sweep(cases), []);
  });

  test('updates and deletes of a stored version with broken bodies change nothing', async () => {
    const bodies: unknown[] = [
      { aliases: [MiB_STRING] },
      { aliases: ['ok', 'a\u0000b'] },
      { aliases: 'best' },
      { aliases: [1, 2] },
      { tags: [{}] },
      { tags: ['\ud800'] },
      { metadata: 'x' },
      { metadata: [1] },
      { metadata: JSON.parse(`${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`) as unknown },
      { metadata: { big: MiB_STRING.repeat(2) } },
      { ttlMs: -1 },
      { ttlMs: 0.5 },
      { ttlMs: 'soon' },
      { ttlMs: 1e308 },
      { description: 12 },
      { description: MiB_STRING.repeat(2) },
    ];
    const cases = bodies.map((b, i) => c(`patch #${i}`, 'PATCH', `/versions/${v0.id}`, b));
    cases.push(c('delete deleteAliases=maybe', 'DELETE', `/versions/${v0.id}?deleteAliases=maybe`));
    cases.push(c('delete of an aliased version', 'DELETE', `/versions/${v0.id}`));
    cases.push(c('file path ..', 'GET', `/versions/${v0.id}/file?path=..`));
    cases.push(c('file path %00', 'GET', `/versions/${v0.id}/file?path=a.txt%00`));
    cases.push(c('file path /etc/passwd', 'GET', `/versions/${v0.id}/file?path=/etc/passwd`));
    cases.push(c('file path missing', 'GET', `/versions/${v0.id}/file`));
    cases.push(c('files names odd', 'GET', `/versions/${v0.id}/files?names=%00,..,/,%ff`));
    assert.deepEqual(await sweep(cases), []);
  });

  test('uploads, commits and packs with broken entries and frames', async () => {
    const start = {
      entity: 'alice',
      project: 'proj',
      collection: 'data',
      type: 'dataset',
      sha256: [sha256('fresh')],
    };
    const session = await json<{ uploadId: string }>(post(`${s.api}/uploads`, start));
    const good = {
      path: 'x.txt',
      digest: 'AAAAAAAAAAAAAAAAAAAAAA==',
      size: 5,
      sha256: sha256('fresh'),
    };
    const entrySets: unknown[] = [
      [{ ...good, path: '../escape' }],
      [{ ...good, path: '/abs' }],
      [{ ...good, path: 'a\u0000b' }],
      [{ ...good, path: '' }],
      [{ ...good, path: MiB_STRING }],
      [{ ...good, size: -1 }],
      [{ ...good, size: 1.5 }],
      [{ ...good, size: 1e308 }],
      [{ ...good, sha256: 'zz' }],
      [{ ...good, sha256: '0'.repeat(64) }],
      [good, good],
      [null],
      ['x'],
      [{ ...good, ref: 'file:///etc/passwd' }],
      [{ ...good, ref: 12 }],
      [{ ...good, extra: 'x' }],
    ];
    const cases = entrySets.map((entries, i) =>
      c(`commit entries #${i}`, 'POST', `/uploads/${session.uploadId}/commit`, { entries }),
    );
    cases.push(
      c('upload sha256 not hex', 'POST', '/uploads', { ...start, sha256: ['xyz', 'ABC'] }),
    );
    cases.push(
      c('upload sha256 1M items', 'POST', '/uploads', {
        ...start,
        sha256: Array(200_000).fill('0'.repeat(64)),
      }),
    );
    cases.push(c('upload entity ..', 'POST', '/uploads', { ...start, entity: '..' }));
    cases.push(c('upload type odd', 'POST', '/uploads', { ...start, type: 'a/b' }));
    cases.push(c('commit of unknown upload', 'POST', '/uploads/nope/commit', { entries: [] }));
    cases.push(c('missing blobs', 'POST', '/blobs/missing', { sha256: ['nope'] }));
    cases.push(c('batch odd', 'POST', '/blobs/batch', { sha256: ['nope', '\u0000'] }));
    const raw = (label: string, url: string, body: Buffer, type = FRAMES_CONTENT_TYPE): Case => ({
      label,
      method: url.startsWith('/blobs/') ? 'PUT' : 'POST',
      url: `/api/v1${url}`,
      headers: { 'content-type': type },
      body,
    });
    const hdr = Buffer.from(encodeFrameHeader(sha256('abc'), 3));
    cases.push(raw('pack of garbage', '/packs', Buffer.from('this is not a frame')));
    cases.push(raw('pack truncated after a header', '/packs', hdr));
    cases.push(raw('pack truncated inside a header', '/packs', hdr.subarray(0, 10)));
    cases.push(
      raw('pack with trailing bytes', '/packs', Buffer.concat([hdr, Buffer.from('abcXYZ')])),
    );
    cases.push(raw('pack whose bytes lie', '/packs', Buffer.concat([hdr, Buffer.from('abd')])));
    cases.push(raw('pack as JSON', '/packs', Buffer.from('{}'), 'application/json'));
    cases.push(raw('blob whose bytes lie', `/blobs/${sha256('abc')}`, Buffer.from('abd')));
    cases.push(raw('blob path not hex', '/blobs/..', Buffer.from('abc')));
    cases.push(
      raw('blob path upper hex', `/blobs/${sha256('abc').toUpperCase()}`, Buffer.from('abc')),
    );
    assert.deepEqual(await sweep(cases), []);
  });

  test('after the sweep, the versions, manifests and bytes logged before it are intact', async () => {
    const now = await snapshot();
    assert.deepEqual(now, before_);
    const again = await json<VersionInfo>(fetch(`${s.api}/versions/${v0.id}`));
    assert.deepEqual(again.aliases, v0.aliases);
    assert.ok(again.aliases.includes('best'));
    assert.deepEqual(again.tags, ['t1']);
    assert.equal(again.updatedAt, v0.updatedAt, 'no rejected update touched the version');
  });
});
