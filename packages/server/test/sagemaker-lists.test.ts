import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AddAssociationCommand,
  CreateActionCommand,
  CreateArtifactCommand,
  CreateContextCommand,
  ListActionsCommand,
  ListArtifactsCommand,
  ListAssociationsCommand,
  ListContextsCommand,
  ListLineageGroupsCommand,
  paginateListActions,
  paginateListArtifacts,
  paginateListAssociations,
  type ArtifactSummary,
  type AssociationSummary,
  type ListAssociationsCommandInput,
} from '@aws-sdk/client-sagemaker';
import { json, logFiles, post } from './helpers.js';
import { errorCode, sageMakerServer, type SageMakerTestServer } from './sagemaker-helpers.js';

let s: SageMakerTestServer;
before(async () => {
  s = await sageMakerServer();
});
after(async () => {
  await s.close();
});

async function artifact(uri: string, type: string): Promise<string> {
  const r = await s.sm.send(
    new CreateArtifactCommand({ Source: { SourceUri: uri }, ArtifactType: type }),
  );
  return r.ArtifactArn ?? '';
}

const time = (a: { CreationTime?: Date }) => a.CreationTime?.getTime() ?? NaN;

describe('lists page in the database across many pages', () => {
  test('ListArtifacts merges created and logged artifacts over 13 pages, both orders', async () => {
    const created: string[] = [];
    for (let i = 0; i < 60; i++) created.push(await artifact(`s3://many/${i}`, 'Many'));
    const logged: string[] = [];
    for (let i = 0; i < 25; i++) {
      const v = await logFiles(s.api, { collection: 'many', type: 'Many' }, { f: `bytes ${i}` });
      logged.push(`arn:aws:sagemaker:us-east-1:000000000000:artifact/${v.version.id}`);
    }
    for (const order of ['Ascending', 'Descending'] as const) {
      const seen: ArtifactSummary[] = [];
      let pages = 0;
      for await (const page of paginateListArtifacts(
        { client: s.sm, pageSize: 7 },
        { ArtifactType: 'Many', SortOrder: order },
      )) {
        pages++;
        assert.ok((page.ArtifactSummaries ?? []).length <= 7);
        seen.push(...(page.ArtifactSummaries ?? []));
      }
      assert.equal(pages, 13, order);
      const arns = seen.map((a) => a.ArtifactArn ?? '');
      assert.equal(new Set(arns).size, 85, 'nothing repeated');
      assert.deepEqual(new Set(arns), new Set([...created, ...logged]), 'nothing skipped');
      for (let i = 1; i < seen.length; i++) {
        const [a, b] = [time(seen[i - 1] ?? {}), time(seen[i] ?? {})];
        assert.ok(order === 'Ascending' ? a <= b : a >= b, `${order} by CreationTime at ${i}`);
      }
      if (order === 'Ascending') {
        assert.deepEqual(
          arns.filter((a) => created.includes(a)),
          created,
          'created order kept',
        );
      }
    }
    // A logged version is found by its cairn:// SourceUri; a URI naming nothing finds nothing.
    const one = await s.sm.send(
      new ListArtifactsCommand({ SourceUri: 'cairn://alice/proj/many:v3' }),
    );
    assert.deepEqual(
      one.ArtifactSummaries?.map((a) => a.ArtifactArn),
      [logged[3]],
    );
    const none = await s.sm.send(
      new ListArtifactsCommand({ SourceUri: 'cairn://alice/proj/many' }),
    );
    assert.deepEqual(none.ArtifactSummaries, []);
  });

  test('an insert between pages is neither repeated nor makes the walk skip', async () => {
    for (let i = 0; i < 6; i++) await artifact(`s3://between/${i}`, 'Between');
    const first = await s.sm.send(
      new ListArtifactsCommand({ ArtifactType: 'Between', SortOrder: 'Ascending', MaxResults: 4 }),
    );
    const late = await artifact('s3://between/late', 'Between');
    const rest = await s.sm.send(
      new ListArtifactsCommand({
        ArtifactType: 'Between',
        SortOrder: 'Ascending',
        MaxResults: 4,
        NextToken: first.NextToken,
      }),
    );
    const arns = [...(first.ArtifactSummaries ?? []), ...(rest.ArtifactSummaries ?? [])].map(
      (a) => a.ArtifactArn,
    );
    assert.equal(arns.length, 7);
    assert.equal(arns.at(-1), late);
    assert.equal(rest.NextToken, undefined);
  });

  test('CreatedAfter/CreatedBefore are inclusive on every list', async () => {
    const a = await artifact('s3://window/a', 'Window');
    await new Promise((r) => setTimeout(r, 5));
    const b = await artifact('s3://window/b', 'Window');
    await new Promise((r) => setTimeout(r, 5));
    const c = await artifact('s3://window/c', 'Window');
    const all = await s.sm.send(new ListArtifactsCommand({ ArtifactType: 'Window' }));
    const at = new Map(all.ArtifactSummaries?.map((x) => [x.ArtifactArn, x.CreationTime]));
    const between = await s.sm.send(
      new ListArtifactsCommand({
        ArtifactType: 'Window',
        CreatedAfter: at.get(b),
        CreatedBefore: at.get(c),
        SortOrder: 'Ascending',
      }),
    );
    assert.deepEqual(
      between.ArtifactSummaries?.map((x) => x.ArtifactArn),
      [b, c],
    );
    const before = await s.sm.send(
      new ListArtifactsCommand({ ArtifactType: 'Window', CreatedBefore: at.get(a) }),
    );
    assert.deepEqual(
      before.ArtifactSummaries?.map((x) => x.ArtifactArn),
      [a],
    );
    // Fractions of a millisecond (boto3 may send any float) bound the window without error.
    const frac = await s.raw(
      'SageMaker.ListArtifacts',
      JSON.stringify({
        ArtifactType: 'Window',
        CreatedAfter: (at.get(a)?.getTime() ?? 0) / 1000 - 0.0005,
        CreatedBefore: (at.get(c)?.getTime() ?? 0) / 1000 + 0.0005,
      }),
    );
    assert.equal(frac.status, 200);
    assert.equal(
      ((await frac.json()) as { ArtifactSummaries: unknown[] }).ArtifactSummaries.length,
      3,
    );
    for (const [cmd, key] of [
      [
        new ListContextsCommand({ CreatedAfter: new Date(Date.now() + 60_000) }),
        'ContextSummaries',
      ],
      [new ListActionsCommand({ CreatedAfter: new Date(Date.now() + 60_000) }), 'ActionSummaries'],
      [
        new ListAssociationsCommand({ CreatedAfter: new Date(Date.now() + 60_000) }),
        'AssociationSummaries',
      ],
      [new ListLineageGroupsCommand({ CreatedBefore: new Date(0) }), 'LineageGroupSummaries'],
    ] as const) {
      const out = (await s.sm.send(cmd as ListContextsCommand)) as unknown as Record<
        string,
        unknown[]
      >;
      assert.deepEqual(out[key], [], `${key} outside the window`);
    }
  });

  test('ListActions merges actions and SDK runs by name and by creation', async () => {
    const names = ['act-b', 'act-d', 'act-a'];
    for (const n of names) {
      await s.sm.send(
        new CreateActionCommand({ ActionName: n, Source: { SourceUri: n }, ActionType: 'mixed' }),
      );
    }
    const runs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await json<{ id: string }>(
        post(`${s.api}/runs`, {
          entity: 'alice',
          project: 'proj',
          name: `r${i}`,
          jobType: 'mixed',
        }),
      );
      runs.push(r.id);
    }
    const byName: string[] = [];
    for await (const page of paginateListActions(
      { client: s.sm, pageSize: 2 },
      { ActionType: 'mixed', SortBy: 'Name', SortOrder: 'Ascending' },
    )) {
      byName.push(...(page.ActionSummaries ?? []).map((a) => a.ActionName ?? ''));
    }
    assert.deepEqual(byName, [...names, ...runs].sort());
    const newest = await s.sm.send(new ListActionsCommand({ ActionType: 'mixed', MaxResults: 3 }));
    assert.deepEqual(
      newest.ActionSummaries?.map((a) => a.ActionName),
      [...runs].reverse(),
      'CreationTime Descending: the runs were created last',
    );
    const run = runs[0] ?? '';
    const bySource = await s.sm.send(
      new ListActionsCommand({ SourceUri: `cairn://runs/alice/proj/${run}` }),
    );
    assert.deepEqual(
      bySource.ActionSummaries?.map((a) => a.ActionName),
      [run],
    );
    const ctxBySource = await s.sm.send(new ListContextsCommand({ SourceUri: 'nothing-here' }));
    assert.deepEqual(ctxBySource.ContextSummaries, []);
  });

  test('ListAssociations: every SortBy both ways, filters, pages', async () => {
    const m = await artifact('s3://assoc/model', 'AModel');
    const d1 = await artifact('s3://assoc/d1', 'ADataSet');
    const d2 = await artifact('s3://assoc/d2', 'ADataSet');
    const img = await artifact('s3://assoc/img', 'AImage');
    const { ContextArn: ep = '' } = await s.sm.send(
      new CreateContextCommand({
        ContextName: 'assoc-ep',
        Source: { SourceUri: 'ep' },
        ContextType: 'AEndpoint',
      }),
    );
    const edges: [string, string, 'ContributedTo' | 'DerivedFrom' | 'AssociatedWith'][] = [
      [d1, m, 'ContributedTo'],
      [d2, m, 'ContributedTo'],
      [img, m, 'DerivedFrom'],
      [m, ep, 'AssociatedWith'],
    ];
    for (const [SourceArn, DestinationArn, AssociationType] of edges) {
      await s.sm.send(new AddAssociationCommand({ SourceArn, DestinationArn, AssociationType }));
    }
    const walk = async (input: ListAssociationsCommandInput): Promise<AssociationSummary[]> => {
      const out: AssociationSummary[] = [];
      for await (const page of paginateListAssociations({ client: s.sm, pageSize: 1 }, input)) {
        out.push(...(page.AssociationSummaries ?? []));
      }
      return out;
    };
    const mine = new Set([m, d1, d2, img]);
    const ours = (xs: AssociationSummary[]) =>
      xs.filter((x) => mine.has(x.SourceArn ?? '') || mine.has(x.DestinationArn ?? ''));
    const keyOf: Record<string, (x: AssociationSummary) => string> = {
      SourceArn: (x) => `${x.SourceArn}\n${x.DestinationArn}`,
      DestinationArn: (x) => `${x.DestinationArn}\n${x.SourceArn}`,
      SourceType: (x) => `${x.SourceType}\n${x.SourceArn}\n${x.DestinationArn}`,
      DestinationType: (x) => `${x.DestinationType}\n${x.SourceArn}\n${x.DestinationArn}`,
    };
    for (const [sortBy, key] of Object.entries(keyOf)) {
      for (const order of ['Ascending', 'Descending'] as const) {
        const got = ours(await walk({ SortBy: sortBy as 'SourceArn', SortOrder: order })).map(key);
        const want = [...got].sort();
        if (order === 'Descending') want.reverse();
        assert.equal(got.length, 4, `${sortBy} ${order}`);
        assert.deepEqual(got, want, `${sortBy} ${order}`);
      }
    }
    const byTime = ours(await walk({ SortBy: 'CreationTime', SortOrder: 'Ascending' }));
    assert.deepEqual(
      byTime.map((x) => [x.SourceArn, x.DestinationArn]),
      edges.map(([a, b]) => [a, b]),
    );
    const datasets = await walk({ SourceType: 'ADataSet', DestinationType: 'AModel' });
    assert.deepEqual(new Set(datasets.map((x) => x.SourceArn)), new Set([d1, d2]));
    const derived = await walk({ AssociationType: 'DerivedFrom', DestinationArn: m });
    assert.deepEqual(
      derived.map((x) => [x.SourceArn, x.SourceType, x.SourceName ?? null]),
      [[img, 'AImage', null]],
    );
    const toEp = await walk({ SourceArn: m, DestinationType: 'AEndpoint' });
    assert.equal(toEp[0]?.DestinationName, 'assoc-ep');
    assert.equal(toEp.length, 1);
    const at = byTime[1]?.CreationTime;
    const window = ours(await walk({ CreatedAfter: at, CreatedBefore: at }));
    assert.ok(
      window.some((x) => x.SourceArn === d2),
      'inclusive window',
    );
    assert.equal(
      await errorCode(
        s.sm.send(
          new ListAssociationsCommand({ SortBy: 'SourceArn', NextToken: 'WyJhIl0' /* ["a"] */ }),
        ),
      ),
      'ValidationException',
      'a token of another sort is refused',
    );
    const forged = Buffer.from(JSON.stringify([1.5, 'x'])).toString('base64url');
    for (const cmd of [
      new ListArtifactsCommand({ NextToken: forged }),
      new ListActionsCommand({ NextToken: forged }),
    ]) {
      assert.equal(
        await errorCode(s.sm.send(cmd as ListArtifactsCommand)),
        'ValidationException',
        'a key that is not whole milliseconds',
      );
    }
  });
});
