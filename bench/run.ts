/**
 * `npm run bench`: the speed and memory figures of issue 2, each printed beside a baseline
 * measured in the same run (cp -r, cp, reading the bytes once with MD5 + SHA-256), as a ratio.
 * Sizes: CAIRN_BENCH_FILES (default 10000) files of 4 KiB, CAIRN_BENCH_LARGE_MB (default 1024).
 * Work happens under CAIRN_BENCH_DIR (default a temp dir on the same disk), removed at the end.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from './server-process.js';

const FILES = Number(process.env['CAIRN_BENCH_FILES'] ?? 10_000);
const LARGE_MB = Number(process.env['CAIRN_BENCH_LARGE_MB'] ?? 1024);
const repo = fileURLToPath(new URL('..', import.meta.url));
const work = await mkdtemp(join(process.env['CAIRN_BENCH_DIR'] ?? tmpdir(), 'cairn-bench-'));

function seconds(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: 'inherit' });
}

/** Drops the page cache where we may (root on Linux), so baselines and runs read the disk alike. */
function sync(): void {
  sh('sync', []);
}

/** Small files are read whole (as any fast hasher would), large ones streamed in 1 MiB chunks. */
async function hashOnce(paths: string[], large: boolean): Promise<number> {
  const t = process.hrtime.bigint();
  for (const p of paths) {
    const md5 = createHash('md5');
    const sha = createHash('sha256');
    if (large) {
      for await (const chunk of createReadStream(p, { highWaterMark: 1 << 20 })) {
        md5.update(chunk as Buffer);
        sha.update(chunk as Buffer);
      }
    } else {
      const bytes = readFileSync(p);
      md5.update(bytes);
      sha.update(bytes);
    }
    md5.digest();
    sha.digest();
  }
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function makeTree(dir: string): Promise<string[]> {
  const paths: string[] = [];
  for (let d = 0; d < Math.ceil(FILES / 1000); d++)
    await mkdir(join(dir, `d${d}`), { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const p = join(dir, `d${Math.floor(i / 1000)}`, `f${i}.bin`);
    await writeFile(p, randomBytes(4096));
    paths.push(p);
  }
  return paths;
}

async function makeLarge(path: string): Promise<void> {
  sh('dd', ['if=/dev/urandom', `of=${path}`, 'bs=1M', `count=${LARGE_MB}`, 'status=none']);
}

interface OpResult {
  seconds: number;
  maxRssMb: number;
  created?: boolean;
}

async function clientOp(args: string[]): Promise<OpResult> {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(repo, 'bench/client-op.ts'), ...args],
    {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    },
  );
  const last = out.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as OpResult;
}

function du(dir: string): number {
  const out = execFileSync('du', ['-sb', dir], { encoding: 'utf8' });
  return Number(out.split('\t')[0]);
}

interface Row {
  figure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  ok: boolean;
}
const rows: Row[] = [];
/**
 * The ratio against plain `cp` (which only reaches the page cache), then the same figure
 * against `cp` followed by `sync`: Cairn's server fsyncs what it stores, so that second baseline
 * is the like-for-like floor for writes that must survive a crash.
 */
function ratioRow(
  figure: string,
  s: number,
  baseName: string,
  base: { plain: number; synced: number },
  max: number,
): void {
  const r = s / base.plain;
  rows.push({
    figure,
    value: `${s.toFixed(2)} s`,
    baseline: `${baseName} ${base.plain.toFixed(2)} s`,
    ratio: `${r.toFixed(2)}×`,
    target: `≤ ${max}×`,
    ok: r <= max,
  });
  const rs = s / base.synced;
  rows.push({
    figure: '  (same, vs the copy followed by sync)',
    value: `${s.toFixed(2)} s`,
    baseline: `${baseName} + sync ${base.synced.toFixed(2)} s`,
    ratio: `${rs.toFixed(2)}×`,
    target: `≤ ${max}×`,
    ok: rs <= max,
  });
}

/**
 * The median over rounds of each round's ratio to the same copy timed just before the operation:
 * both then ran in the same state of the disk, which on this VM drifts by 10× within minutes.
 */
function pairRow(key: string, baseName: string, max: number | undefined, synced = false): void {
  const suffix = synced ? 'pair-synced' : 'pair';
  const ratios = [...(samples.get(`${key}.${suffix}`) ?? [])].sort((a, b) => a - b);
  const lateKey = `late-${synced ? 'synced-' : ''}${key.replace(/^(log|cold|warm)-/, '')}`;
  // The upper middle for an even count: never the kinder of two.
  const mid = ratios[Math.floor(ratios.length / 2)] ?? Number.NaN;
  rows.push({
    figure: `  (same, median of ${ratios.length} ratios to a ${baseName} timed just before)`,
    value: ratios.map((r) => `${r.toFixed(2)}×`).join(' '),
    baseline: `${baseName} ${best(lateKey).toFixed(2)} s best`,
    ratio: `${mid.toFixed(2)}×`,
    target: max === undefined ? 'info' : `≤ ${max}×`,
    ok: max === undefined || mid <= max,
  });
}

/**
 * Every figure and its baselines are measured once per round, interleaved, and the best of the
 * rounds is kept for each: on this shared VM the disk's speed moves by 10× from one minute to the
 * next, and noise only ever adds time, so the best of a few runs is the figure least distorted
 * by whatever else the machine was doing.
 */
const ROUNDS = Math.max(1, Number(process.env['CAIRN_BENCH_ROUNDS'] ?? 3));
const samples = new Map<string, number[]>();
function note(key: string, value: number): void {
  const list = samples.get(key) ?? [];
  list.push(value);
  samples.set(key, list);
}
function best(key: string): number {
  return Math.min(...(samples.get(key) ?? [Number.NaN]));
}
function worst(key: string): number {
  return Math.max(...(samples.get(key) ?? [Number.NaN]));
}
function copyBaselines(key: string, src: string, dest: string): void {
  sync();
  note(
    `${key}.plain`,
    seconds(() => sh('cp', ['-r', src, dest])),
  );
  execFileSync('rm', ['-rf', dest]);
  sync();
  note(
    `${key}.synced`,
    seconds(() => {
      sh('cp', ['-r', src, dest]);
      sync();
    }),
  );
  execFileSync('rm', ['-rf', dest]);
  sync();
}
const base = (key: string): { plain: number; synced: number } => ({
  plain: best(`${key}.plain`),
  synced: best(`${key}.synced`),
});

/**
 * The copy of `src` timed now (the page cache warm, the disk in its current state); `synced`
 * includes the `sync` that makes it durable, as a logged version is.
 */
function lateCopy(key: string, src: string, synced = false): number {
  sync();
  const s = seconds(() => {
    sh('cp', ['-r', src, join(work, 'cp-late')]);
    if (synced) sync();
  });
  execFileSync('rm', ['-rf', join(work, 'cp-late')]);
  sync();
  note(`late-${synced ? 'synced-' : ''}${key}`, s);
  return s;
}

async function round(r: number, small: string, large: string, smallPaths: string[]): Promise<void> {
  copyBaselines('cp-tree', small, join(work, 'cp-small'));
  copyBaselines('cp-large', large, join(work, 'cp-large.bin'));
  note('hash-tree', await hashOnce(smallPaths, false));
  note('hash-large', await hashOnce([large], true));

  const dataDir = join(work, `server-${r}`);
  const server = await startServerProcess(dataDir);
  const cache = join(work, `cache-${r}`);
  try {
    let late = lateCopy('small', small);
    let lateSynced = lateCopy('small', small, true);
    const logSmall = await clientOp(['log', server.url, cache, 'small', small]);
    note('log-small', logSmall.seconds);
    note('log-small.pair', logSmall.seconds / late);
    note('log-small.pair-synced', logSmall.seconds / lateSynced);
    sync();
    late = lateCopy('large', large);
    lateSynced = lateCopy('large', large, true);
    const logLarge = await clientOp(['log', server.url, cache, 'large', large]);
    note('log-large', logLarge.seconds);
    note('log-large.pair', logLarge.seconds / late);
    note('log-large.pair-synced', logLarge.seconds / lateSynced);
    note('rss-client', logLarge.maxRssMb);
    note('rss-server', await server.peakRssMb());
    sync();

    const reSmall = await clientOp(['log', server.url, cache, 'small', small]);
    note('re-small', reSmall.seconds);
    note('re-small.created', reSmall.created === false ? 0 : 1);
    const reLarge = await clientOp(['log', server.url, cache, 'large', large]);
    note('re-large', reLarge.seconds);
    note('re-large.created', reLarge.created === false ? 0 : 1);

    const changed = smallPaths.filter((_, i) => i % 100 === r % 100);
    for (const p of changed) await writeFile(p, randomBytes(4096));
    const before = du(join(dataDir, 'objects'));
    const reChanged = await clientOp(['log', server.url, cache, 'small', small]);
    note('changed', reChanged.seconds);
    note('changed.stored', du(join(dataDir, 'objects')) - before);
    note('changed.bytes', changed.length * 4096);
    sync();

    for (const [key, ref, src] of [
      ['small', 'small:latest', small],
      ['large', 'large:latest', large],
    ] as const) {
      // The same copy timed right before each download: what the disk state costs any writer now.
      const late = lateCopy(key, src);
      const coldCache = join(work, `cold-cache-${key}-${r}`);
      const cold = await clientOp([
        'get',
        server.url,
        coldCache,
        ref,
        join(work, `dl-cold-${key}`),
      ]);
      note(`cold-${key}`, cold.seconds);
      note(`cold-${key}.pair`, cold.seconds / late);
      sync();
      // Timed again: the cold download's writes (twice the bytes) leave the disk in another state.
      const lateWarm = lateCopy(key, src);
      const warm = await clientOp([
        'get',
        server.url,
        coldCache,
        ref,
        join(work, `dl-warm-${key}`),
      ]);
      note(`warm-${key}`, warm.seconds);
      note(`warm-${key}.pair`, warm.seconds / lateWarm);
      for (const d of [`dl-cold-${key}`, `dl-warm-${key}`, `cold-cache-${key}-${r}`])
        await rm(join(work, d), { recursive: true, force: true });
      sync();
    }
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(cache, { recursive: true, force: true });
  }
}

try {
  const small = join(work, 'small');
  const large = join(work, 'large.bin');
  console.error(
    `bench: generating ${FILES} × 4 KiB files and a ${LARGE_MB} MiB file under ${work}; best of ${ROUNDS} rounds`,
  );
  const smallPaths = await makeTree(small);
  await makeLarge(large);
  sync();
  for (let r = 0; r < ROUNDS; r++) {
    console.error(`bench: round ${r + 1} of ${ROUNDS}`);
    await round(r, small, large, smallPaths);
  }

  const logSmall = best('log-small');
  ratioRow('log 10k × 4 KiB', logSmall, 'cp -r', base('cp-tree'), 3);
  pairRow('log-small', 'cp -r', 3);
  pairRow('log-small', 'cp -r + sync', 3, true);
  rows.push({
    figure: '  (same, vs reading once with MD5+SHA-256)',
    value: `${logSmall.toFixed(2)} s`,
    baseline: `hash ${best('hash-tree').toFixed(2)} s`,
    ratio: `${(logSmall / best('hash-tree')).toFixed(2)}×`,
    target: 'info',
    ok: true,
  });
  const logLarge = best('log-large');
  ratioRow(`log ${LARGE_MB} MiB file`, logLarge, 'cp', base('cp-large'), 1.5);
  pairRow('log-large', 'cp', 1.5);
  pairRow('log-large', 'cp + sync', 1.5, true);
  rows.push({
    figure: '  (same, vs reading once with MD5+SHA-256)',
    value: `${logLarge.toFixed(2)} s`,
    baseline: `hash ${best('hash-large').toFixed(2)} s`,
    ratio: `${(logLarge / best('hash-large')).toFixed(2)}×`,
    target: 'info',
    ok: true,
  });
  for (const who of ['client', 'server'] as const) {
    const mb = worst(`rss-${who}`);
    rows.push({
      figure: `peak RSS of the ${who} (through the large log, worst round)`,
      value: `${mb.toFixed(0)} MB`,
      baseline: '-',
      ratio: '-',
      target: '≤ 300 MB',
      ok: mb <= 300,
    });
  }
  for (const [name, key, first] of [
    ['re-log 10k unchanged', 're-small', logSmall],
    [`re-log ${LARGE_MB} MiB unchanged`, 're-large', logLarge],
  ] as const) {
    const re = best(key);
    const created = worst(`${key}.created`) > 0;
    const r = re / first;
    rows.push({
      figure: name + (created ? ' (NEW VERSION?)' : ' (no new version)'),
      value: `${re.toFixed(2)} s`,
      baseline: `first log ${first.toFixed(2)} s`,
      ratio: `${(r * 100).toFixed(1)}%`,
      target: '≤ 10%',
      ok: r <= 0.1 && !created,
    });
  }
  const stored = worst('changed.stored');
  const changedBytes = best('changed.bytes');
  rows.push({
    figure: `re-log after changing 1% (${changedBytes / 4096} files)`,
    value: `${best('changed').toFixed(2)} s, ${stored} B stored`,
    baseline: `changed ${changedBytes} B`,
    ratio: `${(stored / changedBytes).toFixed(2)}×`,
    target: 'only changed bytes',
    ok: stored <= changedBytes * 1.1,
  });
  for (const [name, key, baseKey, baseName] of [
    ['10k × 4 KiB', 'small', 'cp-tree', 'cp -r'],
    [`${LARGE_MB} MiB file`, 'large', 'cp-large', 'cp'],
  ] as const) {
    for (const [temp, max] of [
      ['cold', 3],
      ['warm', 1.5],
    ] as const) {
      const s = best(`${temp}-${key}`);
      ratioRow(`download ${name}, ${temp} cache`, s, baseName, base(baseKey), max);
      pairRow(`${temp}-${key}`, baseName, max);
    }
  }

  const widths = [0, 0, 0, 0, 0];
  const table = [
    ['figure', 'measured', 'baseline', 'ratio', 'target'],
    ...rows.map((r) => [
      r.figure,
      r.value,
      r.baseline,
      r.ratio,
      `${r.target}${r.target === 'info' ? '' : r.ok ? ' ✓' : ' ✗'}`,
    ]),
  ];
  for (const line of table)
    line.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  for (const line of table)
    console.log(`| ${line.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`);
  console.log(
    `
machine: ${process.platform} ${process.arch}, node ${process.version}`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
