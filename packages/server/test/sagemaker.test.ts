import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AddAssociationCommand,
  AddTagsCommand,
  CreateActionCommand,
  CreateArtifactCommand,
  CreateContextCommand,
  DeleteActionCommand,
  DeleteArtifactCommand,
  DeleteAssociationCommand,
  DeleteContextCommand,
  DeleteTagsCommand,
  DescribeActionCommand,
  DescribeArtifactCommand,
  DescribeContextCommand,
  DescribeLineageGroupCommand,
  ListActionsCommand,
  ListArtifactsCommand,
  ListAssociationsCommand,
  ListContextsCommand,
  ListLineageGroupsCommand,
  ListTagsCommand,
  QueryLineageCommand,
  ResourceNotFound,
  UpdateActionCommand,
  UpdateArtifactCommand,
  UpdateContextCommand,
  paginateListArtifacts,
  paginateListContexts,
  type ArtifactSummary,
} from '@aws-sdk/client-sagemaker';
import { logFiles } from './helpers.js';
import {
  ACCOUNT_ARN,
  errorCode,
  sageMakerServer,
  type SageMakerTestServer,
} from './sagemaker-helpers.js';

let s: SageMakerTestServer;
before(async () => {
  s = await sageMakerServer();
});
after(async () => {
  await s.close();
});

async function artifact(uri: string, type = 'DataSet', extra: Record<string, unknown> = {}) {
  const r = await s.sm.send(
    new CreateArtifactCommand({ Source: { SourceUri: uri }, ArtifactType: type, ...extra }),
  );
  return r.ArtifactArn ?? '';
}

describe('artifacts', () => {
  test('create, describe, update, delete', async () => {
    const before = Date.now() / 1000;
    const arn = await artifact('s3://bucket/data.csv', 'DataSet', {
      ArtifactName: 'train-data',
      Properties: { rows: '100', split: 'train' },
      MetadataProperties: { CommitId: 'abc', Repository: 'repo' },
      Tags: [{ Key: 'team', Value: 'vision' }],
    });
    assert.match(arn, /^arn:aws:sagemaker:us-east-1:\d{12}:artifact\/[0-9a-f]{32}$/);
    const d = await s.sm.send(new DescribeArtifactCommand({ ArtifactArn: arn }));
    assert.equal(d.ArtifactName, 'train-data');
    assert.equal(d.ArtifactType, 'DataSet');
    assert.deepEqual(d.Source, { SourceUri: 's3://bucket/data.csv' });
    assert.deepEqual(d.Properties, { rows: '100', split: 'train' });
    assert.deepEqual(d.MetadataProperties, { CommitId: 'abc', Repository: 'repo' });
    assert.ok(d.CreationTime instanceof Date, 'timestamps are epoch numbers the SDK parses');
    assert.ok(d.CreationTime.getTime() / 1000 >= before - 1);
    assert.match(d.LineageGroupArn ?? '', /lineage-group\/sagemaker-default-lineage-group$/);

    await s.sm.send(
      new UpdateArtifactCommand({
        ArtifactArn: arn,
        ArtifactName: 'renamed',
        Properties: { rows: '200', extra: 'x' },
        PropertiesToRemove: ['extra'],
      }),
    );
    const u = await s.sm.send(new DescribeArtifactCommand({ ArtifactArn: arn }));
    assert.equal(u.ArtifactName, 'renamed');
    assert.deepEqual(u.Properties, { rows: '200' }, 'Properties replace the map');
    assert.equal(u.ArtifactArn, arn, 'renaming keeps the ARN');

    const del = await s.sm.send(new DeleteArtifactCommand({ ArtifactArn: arn }));
    assert.equal(del.ArtifactArn, arn);
    await assert.rejects(
      s.sm.send(new DescribeArtifactCommand({ ArtifactArn: arn })),
      ResourceNotFound,
    );
  });

  test('the same Source is a duplicate (ValidationException) and gives the same ARN', async () => {
    const types = [
      { SourceIdType: 'MD5Hash' as const, Value: 'aaa' },
      { SourceIdType: 'Custom' as const, Value: 'bbb' },
    ];
    const arn = await artifact('s3://b/dup', 'Model', {
      Source: { SourceUri: 's3://b/dup', SourceTypes: types },
    });
    const again = s.sm.send(
      new CreateArtifactCommand({
        Source: { SourceUri: 's3://b/dup', SourceTypes: [...types].reverse() },
        ArtifactType: 'Model',
      }),
    );
    assert.equal(await errorCode(again), 'ValidationException');
    const other = await artifact('s3://b/dup', 'Model');
    assert.notEqual(other, arn, 'a different source-type set is a different artifact');
    const gone = await s.sm.send(
      new DeleteArtifactCommand({ Source: { SourceUri: 's3://b/dup', SourceTypes: types } }),
    );
    assert.equal(gone.ArtifactArn, arn, 'DeleteArtifact by Source');
    assert.equal(await errorCode(s.sm.send(new DeleteArtifactCommand({}))), 'ValidationException');
  });

  test('unknown ARNs are ResourceNotFound', async () => {
    const arn = 'arn:aws:sagemaker:us-east-1:000000000000:artifact/' + 'f'.repeat(32);
    // One at a time: a promise that rejects before it is awaited is an unhandled rejection.
    for (const call of [
      () => s.sm.send(new DescribeArtifactCommand({ ArtifactArn: arn })),
      () => s.sm.send(new UpdateArtifactCommand({ ArtifactArn: arn, ArtifactName: 'x' })),
      () => s.sm.send(new DeleteArtifactCommand({ ArtifactArn: arn })),
    ]) {
      assert.equal(await errorCode(call()), 'ResourceNotFound');
    }
  });

  test('ListArtifacts filters, sorts and pages with the SDK paginator', async () => {
    const arns: string[] = [];
    for (let i = 0; i < 7; i++) arns.push(await artifact(`s3://pages/${i}`, 'PageType'));
    const seen: ArtifactSummary[] = [];
    let pages = 0;
    for await (const page of paginateListArtifacts(
      { client: s.sm, pageSize: 3 },
      { ArtifactType: 'PageType', SortOrder: 'Ascending' },
    )) {
      pages++;
      assert.ok((page.ArtifactSummaries ?? []).length <= 3);
      seen.push(...(page.ArtifactSummaries ?? []));
    }
    assert.equal(pages, 3);
    assert.deepEqual(
      seen.map((a) => a.ArtifactArn),
      arns,
      'ascending by creation time, nothing repeated or skipped',
    );
    const desc = await s.sm.send(
      new ListArtifactsCommand({ ArtifactType: 'PageType', MaxResults: 100 }),
    );
    assert.deepEqual(
      desc.ArtifactSummaries?.map((a) => a.ArtifactArn),
      [...arns].reverse(),
      'default sort is CreationTime Descending',
    );
    assert.equal(desc.NextToken, undefined, 'no token on the last page');
    const one = await s.sm.send(new ListArtifactsCommand({ SourceUri: 's3://pages/3' }));
    assert.deepEqual(
      one.ArtifactSummaries?.map((a) => a.ArtifactArn),
      [arns[3]],
    );
    const created = (await s.sm.send(new DescribeArtifactCommand({ ArtifactArn: arns[2] ?? '' })))
      .CreationTime;
    const window = await s.sm.send(
      new ListArtifactsCommand({
        ArtifactType: 'PageType',
        CreatedAfter: created,
        CreatedBefore: created,
      }),
    );
    assert.ok(
      window.ArtifactSummaries?.some((a) => a.ArtifactArn === arns[2]),
      'CreatedAfter/CreatedBefore are inclusive',
    );
  });
});

describe('contexts and actions', () => {
  test('context lifecycle by name and by ARN', async () => {
    const { ContextArn } = await s.sm.send(
      new CreateContextCommand({
        ContextName: 'my_endpoint-1',
        Source: { SourceUri: 'arn:endpoint', SourceType: 'Endpoint' },
        ContextType: 'Endpoint',
        Description: 'prod endpoint',
        Properties: { stage: 'prod' },
      }),
    );
    assert.match(ContextArn ?? '', /:context\/my_endpoint-1$/);
    const byName = await s.sm.send(new DescribeContextCommand({ ContextName: 'my_endpoint-1' }));
    const byArn = await s.sm.send(new DescribeContextCommand({ ContextName: ContextArn }));
    assert.equal(byName.ContextArn, ContextArn);
    assert.equal(byArn.ContextName, 'my_endpoint-1');
    assert.equal(byName.Description, 'prod endpoint');
    assert.equal(
      await errorCode(
        s.sm.send(
          new CreateContextCommand({
            ContextName: 'my_endpoint-1',
            Source: { SourceUri: 'x' },
            ContextType: 'Endpoint',
          }),
        ),
      ),
      'ValidationException',
    );
    await s.sm.send(
      new UpdateContextCommand({
        ContextName: 'my_endpoint-1',
        Description: 'new',
        PropertiesToRemove: ['stage'],
      }),
    );
    const u = await s.sm.send(new DescribeContextCommand({ ContextName: 'my_endpoint-1' }));
    assert.equal(u.Description, 'new');
    assert.deepEqual(u.Properties, {});
    await s.sm.send(new DeleteContextCommand({ ContextName: 'my_endpoint-1' }));
    assert.equal(
      await errorCode(s.sm.send(new DescribeContextCommand({ ContextName: 'my_endpoint-1' }))),
      'ResourceNotFound',
    );
    assert.equal(
      await errorCode(s.sm.send(new DeleteContextCommand({ ContextName: 'my_endpoint-1' }))),
      'ResourceNotFound',
    );
  });

  test('action lifecycle with status', async () => {
    const { ActionArn } = await s.sm.send(
      new CreateActionCommand({
        ActionName: 'train-1',
        Source: { SourceUri: 'arn:job/train-1' },
        ActionType: 'ModelDeployment',
        Status: 'InProgress',
        MetadataProperties: { GeneratedBy: 'me' },
      }),
    );
    assert.match(ActionArn ?? '', /:action\/train-1$/);
    await s.sm.send(new UpdateActionCommand({ ActionName: 'train-1', Status: 'Completed' }));
    const d = await s.sm.send(new DescribeActionCommand({ ActionName: ActionArn }));
    assert.equal(d.Status, 'Completed');
    assert.deepEqual(d.MetadataProperties, { GeneratedBy: 'me' });
    const list = await s.sm.send(new ListActionsCommand({ ActionType: 'ModelDeployment' }));
    assert.equal(list.ActionSummaries?.[0]?.Status, 'Completed');
    assert.equal(
      await errorCode(
        s.sm.send(new UpdateActionCommand({ ActionName: 'train-1', Status: 'Bogus' as 'Failed' })),
      ),
      'ValidationException',
    );
    await s.sm.send(new DeleteActionCommand({ ActionName: 'train-1' }));
    assert.equal(
      await errorCode(s.sm.send(new DescribeActionCommand({ ActionName: 'train-1' }))),
      'ResourceNotFound',
    );
  });

  test('ListContexts sorts by name and pages', async () => {
    const names = ['ctx-c', 'ctx-a', 'ctx-e', 'ctx-b', 'ctx-d'];
    for (const n of names) {
      await s.sm.send(
        new CreateContextCommand({
          ContextName: n,
          Source: { SourceUri: n },
          ContextType: 'Sorted',
        }),
      );
    }
    const got: string[] = [];
    for await (const page of paginateListContexts(
      { client: s.sm, pageSize: 2 },
      { ContextType: 'Sorted', SortBy: 'Name', SortOrder: 'Ascending' },
    )) {
      got.push(...(page.ContextSummaries ?? []).map((c) => c.ContextName ?? ''));
    }
    assert.deepEqual(got, [...names].sort());
    const desc = await s.sm.send(
      new ListContextsCommand({ ContextType: 'Sorted', SortBy: 'Name', SortOrder: 'Descending' }),
    );
    assert.deepEqual(
      desc.ContextSummaries?.map((c) => c.ContextName),
      [...names].sort().reverse(),
    );
  });
});

describe('associations and lineage', () => {
  test('QueryLineage on image→model←dataset, model→action→context', async () => {
    const image = await artifact('ecr://image:1', 'Image');
    const dataset = await artifact('s3://ql/dataset', 'DataSet');
    const model = await artifact('s3://ql/model.tar.gz', 'Model');
    const { ActionArn: action = '' } = await s.sm.send(
      new CreateActionCommand({
        ActionName: 'ql-deploy',
        Source: { SourceUri: 'ql' },
        ActionType: 'ModelDeployment',
      }),
    );
    const { ContextArn: context = '' } = await s.sm.send(
      new CreateContextCommand({
        ContextName: 'ql-endpoint',
        Source: { SourceUri: 'ql' },
        ContextType: 'Endpoint',
      }),
    );
    const edges: [string, string, 'ContributedTo' | 'AssociatedWith'][] = [
      [image, model, 'ContributedTo'],
      [dataset, model, 'ContributedTo'],
      [model, action, 'ContributedTo'],
      [action, context, 'AssociatedWith'],
    ];
    for (const [SourceArn, DestinationArn, AssociationType] of edges) {
      const r = await s.sm.send(
        new AddAssociationCommand({ SourceArn, DestinationArn, AssociationType }),
      );
      assert.equal(r.SourceArn, SourceArn);
    }
    const both = await s.sm.send(
      new QueryLineageCommand({ StartArns: [model], Direction: 'Both', IncludeEdges: true }),
    );
    assert.equal(both.Vertices?.length, 5);
    assert.equal(both.Edges?.length, 4);
    const byArn = new Map(both.Vertices?.map((v) => [v.Arn, v]));
    assert.deepEqual(byArn.get(context), {
      Arn: context,
      Type: 'Endpoint',
      LineageType: 'Context',
    });
    assert.deepEqual(byArn.get(image), { Arn: image, Type: 'Image', LineageType: 'Artifact' });
    assert.deepEqual(byArn.get(action), {
      Arn: action,
      Type: 'ModelDeployment',
      LineageType: 'Action',
    });

    const down = await s.sm.send(
      new QueryLineageCommand({ StartArns: [model], Direction: 'Descendants' }),
    );
    assert.deepEqual(new Set(down.Vertices?.map((v) => v.Arn)), new Set([model, action, context]));
    const up = await s.sm.send(
      new QueryLineageCommand({ StartArns: [context], Direction: 'Ascendants', MaxDepth: 2 }),
    );
    assert.deepEqual(new Set(up.Vertices?.map((v) => v.Arn)), new Set([context, action, model]));
    const onlyArtifacts = await s.sm.send(
      new QueryLineageCommand({
        StartArns: [context],
        Direction: 'Ascendants',
        Filters: { LineageTypes: ['Artifact'], Types: ['Image'] },
      }),
    );
    assert.deepEqual(
      onlyArtifacts.Vertices?.map((v) => v.Arn),
      [image],
    );
    const paged = await s.sm.send(
      new QueryLineageCommand({ StartArns: [model], Direction: 'Both', MaxResults: 2 }),
    );
    assert.equal(paged.Vertices?.length, 2);
    assert.ok(paged.NextToken);
    const rest = await s.sm.send(
      new QueryLineageCommand({
        StartArns: [model],
        Direction: 'Both',
        MaxResults: 10,
        NextToken: paged.NextToken,
      }),
    );
    assert.equal(rest.Vertices?.length, 3);
    assert.equal(rest.NextToken, undefined);

    const listed = await s.sm.send(new ListAssociationsCommand({ DestinationArn: model }));
    assert.deepEqual(
      new Set(listed.AssociationSummaries?.map((a) => a.SourceArn)),
      new Set([image, dataset]),
    );
    const typed = await s.sm.send(
      new ListAssociationsCommand({ SourceType: 'ModelDeployment', DestinationType: 'Endpoint' }),
    );
    assert.equal(typed.AssociationSummaries?.length, 1);
    assert.equal(typed.AssociationSummaries?.[0]?.DestinationName, 'ql-endpoint');
    assert.equal(typed.AssociationSummaries?.[0]?.AssociationType, 'AssociatedWith');

    assert.equal(
      await errorCode(
        s.sm.send(new AddAssociationCommand({ SourceArn: image, DestinationArn: model })),
      ),
      'ValidationException',
      'a duplicate association',
    );
    const missing = 'arn:aws:sagemaker:us-east-1:000000000000:context/nope';
    assert.equal(
      await errorCode(
        s.sm.send(new AddAssociationCommand({ SourceArn: image, DestinationArn: missing })),
      ),
      'ResourceNotFound',
    );
    assert.equal(
      await errorCode(s.sm.send(new QueryLineageCommand({ StartArns: [missing] }))),
      'ResourceNotFound',
    );

    await s.sm.send(new DeleteAssociationCommand({ SourceArn: image, DestinationArn: model }));
    assert.equal(
      await errorCode(
        s.sm.send(new DeleteAssociationCommand({ SourceArn: image, DestinationArn: model })),
      ),
      'ResourceNotFound',
    );
    // Deleting an entity deletes its associations: no dangling ARNs.
    await s.sm.send(new DeleteContextCommand({ ContextName: 'ql-endpoint' }));
    const after = await s.sm.send(new ListAssociationsCommand({ SourceArn: action }));
    assert.equal(after.AssociationSummaries?.length, 0);
  });
});

describe('tags and lineage groups', () => {
  test('AddTags overwrites, ListTags, DeleteTags, 50 tags at most', async () => {
    const arn = await artifact('s3://tags/one', 'T', { Tags: [{ Key: 'a', Value: '1' }] });
    const added = await s.sm.send(
      new AddTagsCommand({
        ResourceArn: arn,
        Tags: [
          { Key: 'a', Value: '2' },
          { Key: 'b', Value: '' },
        ],
      }),
    );
    assert.equal(added.Tags?.length, 2);
    const listed = await s.sm.send(new ListTagsCommand({ ResourceArn: arn }));
    assert.deepEqual(listed.Tags, [
      { Key: 'a', Value: '2' },
      { Key: 'b', Value: '' },
    ]);
    await s.sm.send(new DeleteTagsCommand({ ResourceArn: arn, TagKeys: ['a'] }));
    assert.deepEqual((await s.sm.send(new ListTagsCommand({ ResourceArn: arn }))).Tags, [
      { Key: 'b', Value: '' },
    ]);
    const tags = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => ({ Key: `${prefix}${i}`, Value: 'v' }));
    await s.sm.send(new AddTagsCommand({ ResourceArn: arn, Tags: tags(49, 'k') }));
    assert.equal(
      await errorCode(s.sm.send(new AddTagsCommand({ ResourceArn: arn, Tags: tags(1, 'z') }))),
      'ValidationException',
      'the 51st tag of a resource',
    );
    const missing = 'arn:aws:sagemaker:us-east-1:000000000000:artifact/' + '0'.repeat(32);
    assert.equal(
      await errorCode(s.sm.send(new ListTagsCommand({ ResourceArn: missing }))),
      'ResourceNotFound',
    );
  });

  test('the default lineage group', async () => {
    const groups = await s.sm.send(new ListLineageGroupsCommand({}));
    assert.equal(groups.LineageGroupSummaries?.length, 1);
    const name = groups.LineageGroupSummaries?.[0]?.LineageGroupName;
    assert.equal(name, 'sagemaker-default-lineage-group');
    const d = await s.sm.send(new DescribeLineageGroupCommand({ LineageGroupName: name }));
    assert.match(d.LineageGroupArn ?? '', ACCOUNT_ARN);
    assert.ok(d.CreationTime instanceof Date);
    assert.equal(
      await errorCode(s.sm.send(new DescribeLineageGroupCommand({ LineageGroupName: 'nope' }))),
      'ResourceNotFound',
    );
  });
});

describe('one graph with the native API', () => {
  test('an SDK-logged version is an artifact, usable in associations and lineage', async () => {
    const logged = await logFiles(
      s.api,
      { entity: 'alice', project: 'vision', collection: 'mnist', type: 'dataset' },
      { 'a.txt': 'hello', 'b.txt': 'world' },
    );
    const list = await s.sm.send(new ListArtifactsCommand({ ArtifactType: 'dataset' }));
    const summary = list.ArtifactSummaries?.find(
      (a) => a.Source?.SourceUri === `cairn://alice/vision/mnist:v${logged.version.index}`,
    );
    assert.ok(summary, 'the version is listed');
    const v = logged;
    const id = v.version.id;
    assert.equal(summary.ArtifactArn, `arn:aws:sagemaker:us-east-1:000000000000:artifact/${id}`);
    assert.deepEqual(summary.Source?.SourceTypes, [
      { SourceIdType: 'Custom', Value: v.version.digest },
    ]);
    const d = await s.sm.send(new DescribeArtifactCommand({ ArtifactArn: summary.ArtifactArn }));
    assert.equal(d.ArtifactType, 'dataset');
    assert.equal(
      await errorCode(
        s.sm.send(
          new UpdateArtifactCommand({ ArtifactArn: summary.ArtifactArn, ArtifactName: 'x' }),
        ),
      ),
      'ValidationException',
      'versions are immutable on this face',
    );
    const model = await artifact('s3://native/model', 'Model');
    await s.sm.send(
      new AddAssociationCommand({
        SourceArn: summary.ArtifactArn,
        DestinationArn: model,
        AssociationType: 'ContributedTo',
      }),
    );
    const q = await s.sm.send(
      new QueryLineageCommand({ StartArns: [model], Direction: 'Ascendants' }),
    );
    assert.deepEqual(
      q.Vertices?.find((x) => x.Arn === summary.ArtifactArn),
      {
        Arn: summary.ArtifactArn,
        Type: 'dataset',
        LineageType: 'Artifact',
      },
    );
  });
});
