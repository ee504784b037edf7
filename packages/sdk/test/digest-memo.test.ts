import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Artifact } from '../src/index.js';
import { DIGEST_MEMO_FILE, DigestMemo, allSettled, draftKey } from '../src/digest-memo.js';
import type { KeyedFile } from '../src/digest-memo.js';
import { STAT_CACHE_FILE, StatCache, statFile } from '../src/stat-cache.js';
import { startEnv, tempDir, writeTree } from './helpers.js';
import type { TestEnv } from './helpers.js';

let env: TestEnv;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env.close();
});

const stat0 = { dev: 1, ino: 2, size: 3, mtimeMs: 1700000000000.25, ctimeMs: 1700000000000.5 };

test('draftKey moves with every path, stat field and other entry, and only with them', () => {
  const base: KeyedFile[] = [
    { path: 'a', stat: stat0 },
    { path: 'b/c', stat: { ...stat0, ino: 9 } },
  ];
  const refs = [{ path: 'r', digest: 'http://x/r' }];
  const key = draftKey(base, refs);
  assert.equal(
    draftKey(
      base.map((f) => ({ ...f })),
      [...refs],
    ),
    key,
  );
  const variants: [string, KeyedFile[], { path: string; digest: string }[]][] = [
    ['path', [{ ...base[0]!, path: 'a2' }, base[1]!], refs],
    ...(['dev', 'ino', 'size', 'mtimeMs', 'ctimeMs'] as const).map(
      (field): [string, KeyedFile[], { path: string; digest: string }[]] => [
        field,
        [{ ...base[0]!, stat: { ...stat0, [field]: stat0[field] + 0.25 } }, base[1]!],
        refs,
      ],
    ),
    ['file dropped', [base[0]!], refs],
    [
      'paths regrouped',
      [
        { ...base[0]!, path: 'a\0b' },
        { ...base[1]!, path: 'c' },
      ],
      refs,
    ],
    ['reference digest', base, [{ path: 'r', digest: 'http://x/r2' }]],
    ['reference dropped', base, []],
  ];
  for (const [what, files, others] of variants) {
    assert.notEqual(draftKey(files, others), key, what);
  }
});

test('allSettled is false when any stat is within the racy margin of hashing', () => {
  const now = Date.now();
  assert.equal(allSettled([{ ...stat0, mtimeMs: now - 5000, ctimeMs: now - 5000 }], now), true);
  assert.equal(
    allSettled(
      [
        { ...stat0, mtimeMs: now - 5000, ctimeMs: now - 5000 },
        { ...stat0, mtimeMs: now - 5000, ctimeMs: now - 10 },
      ],
      now,
    ),
    false,
  );
});

test('DigestMemo persists, keeps the newest 512 records and ignores garbled lines', async () => {
  const dir = await tempDir();
  const memo = new DigestMemo(dir);
  const key = (i: number): string => createHash('sha256').update(String(i)).digest('hex');
  for (let i = 0; i < 520; i++) memo.set(key(i), `digest-${i}`);
  const file = join(dir, DIGEST_MEMO_FILE);
  await writeFile(file, `${await readFile(file, 'utf8')}garbage\nnothex\tx\n${key(1)}\ta\tb\n`);
  const reloaded = new DigestMemo(dir);
  assert.equal(reloaded.get(key(519)), 'digest-519');
  assert.equal(reloaded.get(key(8)), 'digest-8');
  assert.equal(reloaded.get(key(7)), undefined, 'the oldest records are dropped');
  assert.equal(reloaded.get(key(1)), undefined);
  assert.equal(reloaded.get('nothex'), undefined);
  await rm(dir, { recursive: true });
});

/** Files that are older than the racy margin, so what is hashed from them may be remembered. */
async function settledTree(): Promise<string> {
  const src = await env.dir();
  await writeTree(src, { 'a.txt': 'alpha', 'd/b.txt': 'bravo', 'd/c.txt': 'charlie' });
  await new Promise((r) => setTimeout(r, 150));
  return src;
}

test('an unchanged re-log takes its digest from the memo, without the stat cache', async () => {
  const cairn = await env.client();
  const src = await settledTree();
  const first = new Artifact({ name: 'memo', type: 'dataset' });
  await first.addDir(src);
  await cairn.save(first);
  assert.equal(first.created, true);
  // Poison the stat cache: a log that consulted it would find other digests and make v1.
  const poisoned = new StatCache(cairn.cacheDir);
  for (const p of ['a.txt', 'd/b.txt', 'd/c.txt']) {
    const path = join(src, p);
    const st = await statFile(path);
    poisoned.record(path, st, { md5: 'AAAA', sha256: '0'.repeat(64), size: st.size }, Date.now());
  }
  await poisoned.save();
  // A new client on the same cache reads both from disk, as the next process would.
  const next = await env.client({ cacheDir: cairn.cacheDir });
  const progress: string[] = [];
  const again = new Artifact({ name: 'memo', type: 'dataset' });
  await again.addDir(src);
  await next.save(again, { onProgress: (p) => progress.push(`${p.phase} ${p.filesDone}`) });
  assert.equal(again.created, false);
  assert.equal(again.version, 'v0');
  assert.equal(again.id, first.id);
  assert.deepEqual(again.lastUpload, { missing: 0, bytesSent: 0, packs: 0, largeBlobs: 0 });
  assert.deepEqual(progress, ['hashing 0', 'hashing 3']);
  // A new alias is not "unchanged": the save reaches the server, which moves it onto v0.
  const tagged = new Artifact({ name: 'memo', type: 'dataset' });
  await tagged.addDir(src);
  await rm(join(cairn.cacheDir, STAT_CACHE_FILE));
  await (await env.client({ cacheDir: cairn.cacheDir })).save(tagged, { aliases: ['best'] });
  assert.equal(tagged.version, 'v0');
  assert.ok(tagged.aliases.includes('best'));
  assert.ok((await cairn.artifact('proj/memo:best')).id === first.id);
});

test('a change that keeps size and mtime, a rename and a new file each miss the memo', async () => {
  const cairn = await env.client();
  const src = await settledTree();
  const log = async (): Promise<Artifact> => {
    const a = new Artifact({ name: 'memo-miss', type: 'dataset' });
    await a.addDir(src);
    await cairn.save(a);
    return a;
  };
  assert.equal((await log()).version, 'v0');
  assert.equal((await log()).created, false);
  // Same size, mtime put back: only ctime tells, and it is part of the key.
  const a = join(src, 'a.txt');
  const before = await stat(a);
  await writeFile(a, 'ALPHA');
  await utimes(a, before.atime, before.mtime);
  const changed = await log();
  assert.equal(changed.created, true);
  const entry = await changed.getEntry('a.txt');
  assert.equal(entry.digest, createHash('md5').update('ALPHA').digest('base64'));
  await rename(join(src, 'd/c.txt'), join(src, 'd/c2.txt'));
  const renamed = await log();
  assert.equal(renamed.created, true);
  assert.deepEqual(
    (await renamed.manifest()).entries.map((e) => e.path),
    ['a.txt', 'd/b.txt', 'd/c2.txt'],
  );
  await writeFile(join(src, 'e.txt'), 'echo');
  const added = await log();
  assert.equal(added.created, true);
  assert.equal(added.fileCount, 4);
  // Nothing remembered from the racy log of e.txt: the next log hashes, and finds it unchanged.
  const again = await log();
  assert.equal(again.created, false);
  assert.equal(again.version, added.version);
});
