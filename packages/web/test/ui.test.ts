/**
 * The web UI in a real browser (Debian's Chromium through playwright-core) against a real server
 * serving the UI as built for users, with artifacts and lineage logged through the SDK.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer } from '@cairn/server';
import { Artifact, Cairn } from '@cairn/sdk';
import { startTestServer } from '../../server/test/backends.js';
import { tempDir } from '../../sdk/test/fs-helpers.js';
import { listenLocal } from '../../sdk/test/net-helpers.js';
import { buildUi } from '../build/index.js';
import { browserMissing, launchBrowser } from './browser.js';

const skip = browserMissing();
let uiDir: string;
let dirs: string[] = [];
let browser: Browser;

async function draft(name: string, files: Record<string, string>): Promise<Artifact> {
  const a = new Artifact({ name, type: 'dataset', metadata: { rows: Object.keys(files).length } });
  for (const [path, content] of Object.entries(files)) {
    const f = await a.newFile(path);
    await f.write(content);
    await f.close();
  }
  return a;
}

interface Env {
  server: RunningServer;
  cairn: Cairn;
}

async function startEnv(apiKey?: string): Promise<Env> {
  const dataDir = await tempDir('cairn-web-data-');
  const cacheDir = await tempDir('cairn-web-cache-');
  dirs.push(dataDir, cacheDir);
  const server = await startTestServer({
    port: 0,
    dataDir,
    uiDir,
    gcIntervalMs: 0,
    ...(apiKey ? { apiKey } : {}),
  });
  const cairn = new Cairn({
    url: server.url,
    entity: 'tester',
    project: 'proj',
    cacheDir,
    ...(apiKey ? { apiKey } : {}),
  });
  return { server, cairn };
}

const scriptErrors = new WeakMap<Page, string[]>();

async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  // A missing element fails the test in seconds, not at the runner's timeout.
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  scriptErrors.set(page, errors);
  return page;
}

/** Closes the page, failing the test if any of its scripts threw. */
async function closePage(page: Page): Promise<void> {
  await page.close();
  assert.deepEqual(scriptErrors.get(page), [], 'no script errors');
}

before(async () => {
  if (skip) return;
  const out = await tempDir('cairn-web-ui-');
  dirs.push(out);
  uiDir = await buildUi(join(out, 'dist'));
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

describe('web UI', { skip }, () => {
  let env: Env;
  let rawId: string;
  let cleanId: string;
  before(async () => {
    env = await startEnv();
    const raw = await (
      await draft('raw', { 'data.txt': 'raw bytes' })
    ).save({
      client: env.cairn,
    });
    rawId = raw.id as string;
    const run = await env.cairn.init({ name: 'prep-1', jobType: 'prep', config: { seed: 3 } });
    await run.useArtifact('raw:latest');
    run.log({ loss: 1 });
    run.log({ loss: 0.5, note: 'halfway' });
    const clean = await run.logArtifact(
      await draft('clean', { 'data.txt': 'clean bytes', 'sub/more.csv': 'a,b\n1,2\n' }),
      { aliases: ['best'], tags: ['nightly'] },
    );
    cleanId = clean.id as string;
    await run.finish();
  });
  after(async () => {
    await env.server.close();
  });

  test('walks from the entities to a version, its files and its lineage', async () => {
    const page = await newPage();
    await page.goto(`${env.server.url}/`);
    await page.getByRole('link', { name: 'tester' }).click();
    await page.getByRole('link', { name: 'proj/' }).click();
    const rows = page.locator('tr.artifact-row');
    await rows.first().waitFor();
    assert.deepEqual(await rows.locator('td:first-child').allInnerTexts(), ['clean', 'raw']);
    assert.match(await rows.first().innerText(), /dataset\s+1 version\b/);

    await page.getByRole('link', { name: 'clean' }).click();
    await page.getByRole('link', { name: 'v0' }).click();
    await page.locator('h1', { hasText: 'clean:v0' }).waitFor();
    assert.equal(await page.title(), 'tester/proj/clean:v0 · Cairn');
    assert.match(await page.locator('.labels').innerText(), /best/);
    assert.match(await page.locator('.labels').innerText(), /nightly/);
    assert.match(await page.locator('.metadata pre').innerText(), /"rows": 2/);
    assert.match(await page.locator('.details').innerText(), new RegExp(cleanId));

    const files = page.locator('.files tbody tr');
    await files.nth(1).waitFor();
    assert.deepEqual(await files.locator('td.path').allInnerTexts(), ['data.txt', 'sub/more.csv']);
    // The download link serves the entry's bytes.
    const hrefs = await files
      .getByRole('link', { name: 'download' })
      .evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
    const bodies = await Promise.all(
      hrefs.map(async (h) => (await fetch(new URL(h, env.server.url))).text()),
    );
    assert.deepEqual(bodies, ['clean bytes', 'a,b\n1,2\n']);

    const lineage = page.locator('.lineage .columns');
    await lineage.getByText('prep-1').waitFor();
    assert.match(await lineage.innerText(), /Logged by\s+prep-1 prep · finished/);
    await lineage.getByRole('link', { name: 'tester/proj/raw:v0' }).click();
    await page.locator('h1', { hasText: 'raw:v0' }).waitFor();
    assert.ok(page.url().endsWith(`#/version/${rawId}`), page.url());
    await page.locator('.lineage .columns').getByText('Used by').waitFor();
    const rawLineage = await page.locator('.lineage .columns').innerText();
    assert.match(rawLineage, /Used by\s+prep-1/);
    assert.match(rawLineage, /Downstream artifacts\s+tester\/proj\/clean:v0/);
    await closePage(page);
  });

  test('draws the lineage left to right and shows a run with its config, artifacts and history', async () => {
    const page = await newPage();
    await page.goto(`${env.server.url}/#/version/${cleanId}`);
    const graph = page.getByRole('img', { name: 'lineage graph' });
    await graph.waitFor();
    const box = async (label: string): Promise<{ x: number; y: number }> => {
      const b = await graph.locator('g.node', { hasText: label }).boundingBox();
      assert.ok(b, `node ${label}`);
      return b;
    };
    // raw:v0 → prep-1 → clean:v0, the root drawn as such; raw's own automatic run further left.
    const [raw, run, clean] = [await box('raw:v0'), await box('prep-1'), await box('clean:v0')];
    assert.ok(raw.x < run.x && run.x < clean.x, JSON.stringify({ raw, run, clean }));
    assert.equal(await graph.locator('g.node.root text').textContent(), 'tester/proj/clean:v0');
    assert.equal(await graph.locator('g.node').count(), 4);
    assert.equal(await graph.locator('path.edge').count(), 3);

    await graph.locator('a', { hasText: 'raw:v0' }).click();
    await page.locator('h1', { hasText: 'raw:v0' }).waitFor();
    await page.goBack();
    await page.locator('.lineage .columns').getByRole('link', { name: 'prep-1' }).click();
    await page.locator('h1', { hasText: 'prep-1' }).waitFor();
    assert.match(await page.locator('h1').innerText(), /prep-1 finished/);
    assert.match(await page.locator('pre.config').innerText(), /"seed": 3/);
    const io = await page.locator('.run-io').innerText();
    assert.match(io, /Used \(inputs\)\s+tester\/proj\/raw:v0/);
    assert.match(io, /Logged \(outputs\)\s+tester\/proj\/clean:v0/);
    const history = page.locator('.history tbody tr');
    await history.nth(1).waitFor();
    assert.deepEqual(await history.allInnerTexts(), ['0\t1\t', '1\t0.5\t"halfway"']);
    // A chart for the numeric metric only.
    await page.getByRole('figure', { name: 'loss by step' }).waitFor();
    assert.equal(await page.locator('figure.metric').count(), 1);
    await closePage(page);
  });

  test('goes to a reference typed in the header, and names what is wrong with a bad one', async () => {
    const page = await newPage();
    await page.goto(`${env.server.url}/`);
    await page.getByRole('textbox', { name: 'artifact reference' }).fill('tester/proj/clean:best');
    await page.getByRole('button', { name: 'Go' }).click();
    await page.locator('h1', { hasText: 'clean:v0' }).waitFor();

    await page.getByRole('textbox', { name: 'artifact reference' }).fill('tester/proj/nope:latest');
    await page.getByRole('button', { name: 'Go' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /NOT_FOUND.*tester\/proj\/nope/s);

    await page.goto(`${env.server.url}/#/no-such-page`);
    assert.match(await page.getByRole('alert').innerText(), /There is no page at #\/no-such-page/);
    await closePage(page);
  });

  test('edits aliases, tags and description; a bad tag is refused with its rule and changes nothing', async () => {
    const page = await newPage();
    await page.goto(`${env.server.url}/#/version/${cleanId}`);
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Tags').fill('ok tag, bad/tag');
    await page.getByLabel('Description').fill('should not be saved');
    await page.getByRole('button', { name: 'Save' }).click();
    const alert = page.locator('form.edit .error');
    await alert.waitFor();
    assert.match(await alert.innerText(), /VALIDATION: .*bad\/tag/);
    const unchanged = await env.cairn.artifact('clean:v0');
    assert.deepEqual(unchanged.tags, ['nightly']);
    assert.equal(unchanged.description, null);

    await page.getByLabel('Tags').fill('reviewed, ok tag');
    await page.getByLabel('Aliases').fill('best, prod');
    await page.getByLabel('Description').fill('cleaned digits');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.labels .chip', { hasText: 'prod' }).waitFor();
    assert.match(await page.locator('.labels').innerText(), /cleaned digits/);
    const saved = await env.cairn.artifact('clean:v0');
    assert.deepEqual([...saved.tags].sort(), ['ok tag', 'reviewed']);
    assert.deepEqual([...saved.aliases].sort(), ['best', 'latest', 'prod', 'v0']);
    assert.equal(saved.description, 'cleaned digits');
    // Reloaded from the server, not only the page's own state.
    await page.reload();
    await page.locator('.labels .chip', { hasText: 'prod' }).waitFor();
    await closePage(page);
  });

  test('pages through more files than one answer holds', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 230; i++) files[`f${String(i).padStart(3, '0')}.txt`] = `file ${i}`;
    const big = await (await draft('many', files)).save({ client: env.cairn });
    const page = await newPage();
    await page.goto(`${env.server.url}/#/version/${big.id as string}`);
    const rows = page.locator('.files tbody tr');
    await rows.nth(199).waitFor();
    assert.equal(await rows.count(), 200);
    await page.getByRole('button', { name: 'More files' }).click();
    await rows.nth(229).waitFor();
    const paths = await rows.locator('td.path').allInnerTexts();
    assert.deepEqual(paths, Object.keys(files));
    assert.equal(await page.getByRole('button', { name: 'More files' }).count(), 0);
    await closePage(page);
  });

  test('compares two versions file by file, and shows registry links both ways', async () => {
    const v0 = await (
      await draft('evolving', { 'keep.txt': 'same', 'edit.txt': 'old', 'drop.txt': 'bye' })
    ).save({ client: env.cairn });
    const v1 = await (
      await draft('evolving', { 'keep.txt': 'same', 'edit.txt': 'newer', 'add/n.txt': 'hi' })
    ).save({ client: env.cairn });
    await env.cairn.createRegistryCollection({ registry: 'model', name: 'evo', type: 'dataset' });
    const link = await v1.link('wandb-registry-model/evo', ['production']);

    const page = await newPage();
    await page.goto(`${env.server.url}/#/version/${v1.id as string}`);
    await page.getByLabel('Compare with').selectOption({ label: 'v0' });
    await page.locator('h1', { hasText: 'Compare' }).waitFor();
    assert.ok(page.url().endsWith(`#/compare/${v0.id as string}/${v1.id as string}`), page.url());
    assert.match(
      await page.locator('p.summary').innerText(),
      /^1 file added, 1 removed, 1 changed, 1 unchanged\. Size 10 B → 11 B\.$/,
    );
    assert.deepEqual(await page.locator('.diff.added td.path').allInnerTexts(), ['add/n.txt']);
    assert.deepEqual(await page.locator('.diff.removed td.path').allInnerTexts(), ['drop.txt']);
    assert.deepEqual(await page.locator('.diff.changed td.path').allInnerTexts(), ['edit.txt']);
    assert.match(await page.locator('.diff.changed').innerText(), /3 B → 5 B/);

    // The source lists the registry link; the link's page points back at its source.
    await page.getByRole('link', { name: 'tester/proj/evolving:v1' }).click();
    const links = page.locator('section.links');
    await links.waitFor();
    assert.match(await links.innerText(), /registry\/model\/evo:v0\s+latest\s+production/);
    await links.getByRole('link', { name: 'registry/model/evo:v0' }).click();
    await page.locator('h1', { hasText: 'evo:v0' }).waitFor();
    assert.ok(page.url().endsWith(`#/version/${link.id as string}`), page.url());
    await page.locator('.details').getByRole('link', { name: 'tester/proj/evolving:v1' }).waitFor();
    await closePage(page);
  });

  test('works behind a reverse proxy that serves Cairn under a path prefix', async () => {
    // A proxy that maps /cairn/* to the server's /*, as nginx's `location /cairn/` would.
    const proxy = createServer((req, res) => {
      const url = req.url ?? '';
      if (!url.startsWith('/cairn/')) {
        res.writeHead(404).end('outside /cairn/');
        return;
      }
      const out = request(
        `${env.server.url}${url.slice('/cairn'.length)}`,
        { method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      req.pipe(out);
    });
    const front = await listenLocal(proxy);
    try {
      const page = await newPage();
      await page.goto(`${front.url}/cairn/`);
      await page.getByRole('link', { name: 'tester' }).click();
      await page.getByRole('link', { name: 'proj/' }).click();
      await page.getByRole('link', { name: 'clean' }).waitFor();
      await closePage(page);
    } finally {
      await front.close();
    }
  });

  test('makes, moves and deletes folders; a folder with artifacts goes only after a second yes', async () => {
    const page = await newPage();
    const asked: string[] = [];
    page.on('dialog', (d) => {
      asked.push(d.message());
      void d.accept();
    });
    await page.goto(`${env.server.url}/#/folder/tester`);
    const newFolder = page.getByRole('textbox', { name: 'new folder name' });
    await newFolder.fill('bad name!');
    await page.getByRole('button', { name: 'Create folder' }).click();
    assert.match(await page.locator('.folder-actions .error').innerText(), /^VALIDATION: /);

    await newFolder.fill('team');
    await page.getByRole('button', { name: 'Create folder' }).click();
    await page.getByRole('link', { name: 'team/' }).click();
    await page.getByRole('textbox', { name: 'new folder name' }).fill('exp');
    await page.getByRole('button', { name: 'Create folder' }).click();
    await page.getByRole('link', { name: 'exp/' }).click();
    await page.getByRole('textbox', { name: 'move or rename to' }).fill('team/exp2');
    await page.getByRole('button', { name: 'Move' }).click();
    await page.locator('h1', { hasText: '/tester/team/exp2' }).waitFor();
    assert.ok(page.url().endsWith('#/folder/tester/team/exp2'), page.url());

    // Empty: one confirmation, then the parent folder, which no longer lists it.
    await page.getByRole('button', { name: 'Delete folder' }).click();
    await page.locator('h1', { hasText: /^\/tester\/team$/ }).waitFor();
    await page.getByText('This folder is empty.').waitFor();
    assert.deepEqual(asked, ['Delete folder /tester/team/exp2?']);

    // Not empty: the server refuses, the page asks again, and the recursive delete takes it all.
    const cacheDir = await tempDir('cairn-web-cache-');
    dirs.push(cacheDir);
    const kept = new Cairn({
      url: env.server.url,
      entity: 'tester',
      project: 'team/full',
      cacheDir,
    });
    await (await draft('inside', { 'i.txt': 'i' })).save({ client: kept });
    await page.goto(`${env.server.url}/#/folder/tester/team/full`);
    await page.getByRole('link', { name: 'inside' }).waitFor();
    await page.getByRole('button', { name: 'Delete folder' }).click();
    await page.getByText('This folder is empty.').waitFor();
    assert.equal(asked.length, 3);
    assert.match(asked[2] as string, /\n\nDelete \/tester\/team\/full with everything in it\?$/);
    await assert.rejects(kept.artifact('inside:latest'), { code: 'NOT_FOUND' });
    await closePage(page);
  });

  test('deletes a version after asking, releasing its aliases', async () => {
    const doomed = await (
      await draft('doomed', { 'x.txt': 'x' })
    ).save({
      client: env.cairn,
      aliases: ['keep-me'],
    });
    const page = await newPage();
    let asked = '';
    page.on('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await page.goto(`${env.server.url}/#/version/${doomed.id as string}`);
    await page.getByRole('button', { name: 'Delete version' }).click();
    await page.getByText('No live versions.').waitFor();
    assert.match(asked, /Delete tester\/proj\/doomed:v0\? Its aliases \(latest, keep-me\)/);
    assert.ok(page.url().endsWith('#/artifact/tester/proj/doomed'), page.url());
    await assert.rejects(env.cairn.artifact('doomed:keep-me'), { code: 'NOT_FOUND' });
    await closePage(page);
  });
});

describe('web UI on a server with an API key', { skip }, () => {
  let env: Env;
  before(async () => {
    env = await startEnv('sekrit');
    await (await draft('raw', { 'data.txt': 'raw bytes' })).save({ client: env.cairn });
  });
  after(async () => {
    await env.server.close();
  });

  test('asks for the key, refuses a wrong one, and downloads with the right one', async () => {
    const page = await newPage();
    await page.goto(`${env.server.url}/`);
    const key = page.getByLabel('API key');
    await key.waitFor();
    assert.match(await page.locator('.key-form .error').innerText(), /requires an API key/);
    await key.fill('wrong');
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.locator('.key-form .error', { hasText: 'the API key is wrong' }).waitFor();

    await page.getByLabel('API key').fill('sekrit');
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.getByRole('link', { name: 'tester' }).click();
    await page.getByRole('link', { name: 'proj/' }).click();
    await page.getByRole('link', { name: 'raw' }).click();
    await page.getByRole('link', { name: 'v0' }).click();
    // A plain link cannot carry the key: the page fetches with it and saves the bytes.
    const downloading = page.waitForEvent('download');
    await page.locator('.files').getByRole('link', { name: 'download' }).click();
    const download = await downloading;
    const saved = join(await tempDir('cairn-web-download-'), 'downloaded.txt');
    dirs.push(dirname(saved));
    await download.saveAs(saved);
    assert.equal(await readFile(saved, 'utf8'), 'raw bytes');
    assert.equal(download.suggestedFilename(), 'data.txt');

    await page.getByRole('button', { name: 'Forget API key' }).click();
    await page.getByLabel('API key').waitFor();
    await closePage(page);
  });
});
