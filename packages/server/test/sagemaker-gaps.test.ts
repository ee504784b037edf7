import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AddAssociationCommand,
  AddTagsCommand,
  CreateActionCommand,
  CreateArtifactCommand,
  CreateContextCommand,
  DeleteActionCommand,
  DeleteAssociationCommand,
  DeleteTagsCommand,
  DescribeArtifactCommand,
  DescribeContextCommand,
  DescribeLineageGroupCommand,
  ListArtifactsCommand,
  ListLineageGroupsCommand,
  ListTagsCommand,
  QueryLineageCommand,
  UpdateActionCommand,
  UpdateArtifactCommand,
  UpdateContextCommand,
  type QueryLineageCommandInput,
} from '@aws-sdk/client-sagemaker';
import { errorCode, sageMakerServer, type SageMakerTestServer } from './sagemaker-helpers.js';

let s: SageMakerTestServer;
before(async () => {
  s = await sageMakerServer();
});
after(async () => {
  await s.close();
});

async function artifact(uri: string, type: string, extra: Record<string, unknown> = {}) {
  const r = await s.sm.send(
    new CreateArtifactCommand({ Source: { SourceUri: uri }, ArtifactType: type, ...extra }),
  );
  return r.ArtifactArn ?? '';
}

/** The code of a call that must fail; `undefined` input members are left out by the SDK. */
async function code(p: Promise<unknown>): Promise<string> {
  return errorCode(p);
}

describe('QueryLineage limits, IncludeEdges and filters', () => {
  let image = '';
  let dataset = '';
  let model = '';
  let action = '';
  let context = '';
  before(async () => {
    image = await artifact('ecr://gaps/image', 'Image', { Properties: { team: 'infra' } });
    await new Promise((r) => setTimeout(r, 10));
    dataset = await artifact('s3://gaps/dataset', 'DataSet', { Properties: { team: 'data' } });
    model = await artifact('s3://gaps/model', 'Model');
    ({ ActionArn: action = '' } = await s.sm.send(
      new CreateActionCommand({
        ActionName: 'gaps-deploy',
        Source: { SourceUri: 'x' },
        ActionType: 'ModelDeployment',
      }),
    ));
    ({ ContextArn: context = '' } = await s.sm.send(
      new CreateContextCommand({
        ContextName: 'gaps-endpoint',
        Source: { SourceUri: 'x' },
        ContextType: 'Endpoint',
      }),
    ));
    for (const [a, b] of [
      [image, model],
      [dataset, model],
      [model, action],
      [action, context],
    ] as const) {
      await s.sm.send(new AddAssociationCommand({ SourceArn: a, DestinationArn: b }));
    }
  });

  const query = (input: QueryLineageCommandInput) => s.sm.send(new QueryLineageCommand(input));
  const arns = async (input: QueryLineageCommandInput) =>
    new Set((await query(input)).Vertices?.map((v) => v.Arn));

  test('model limits either side: StartArns ≤ 1, MaxDepth ≤ 10, MaxResults ≤ 50, filters', async () => {
    assert.equal(await code(query({ StartArns: [model, image] })), 'ValidationException');
    await query({ StartArns: [model], MaxDepth: 10 });
    assert.equal(await code(query({ StartArns: [model], MaxDepth: 11 })), 'ValidationException');
    await query({ StartArns: [model], MaxResults: 50 });
    assert.equal(await code(query({ StartArns: [model], MaxResults: 51 })), 'ValidationException');
    const types = ['a', 'b', 'c', 'd', 'e'];
    await query({ StartArns: [model], Filters: { Types: types } });
    assert.equal(
      await code(query({ StartArns: [model], Filters: { Types: [...types, 'f'] } })),
      'ValidationException',
    );
    assert.equal(
      await code(query({ StartArns: [model], Filters: { LineageTypes: ['Model' as 'Artifact'] } })),
      'ValidationException',
    );
    const props = Object.fromEntries(['1', '2', '3', '4', '5', '6'].map((k) => [k, k]));
    assert.equal(
      await code(query({ StartArns: [model], Filters: { Properties: props } })),
      'ValidationException',
      'at most 5 property filters',
    );
    assert.equal(
      await code(query({ StartArns: [model], Direction: 'Sideways' as 'Both' })),
      'ValidationException',
    );
    assert.equal(
      await code(query({ StartArns: [model], NextToken: 'not-a-token' })),
      'ValidationException',
    );
    assert.equal(
      await code(query({ StartArns: ['arn:aws:sagemaker:us-east-1:000000000000:model/x'] })),
      'ValidationException',
      'a start ARN must be an artifact, action, context or trial component',
    );
    const none = await query({ StartArns: [] });
    assert.deepEqual([none.Vertices, none.Edges], [[], []]);
  });

  test('depth counts associations; IncludeEdges false leaves edges out', async () => {
    assert.deepEqual(
      await arns({ StartArns: [model], Direction: 'Both', MaxDepth: 1 }),
      new Set([model, image, dataset, action]),
    );
    assert.deepEqual(await arns({ StartArns: [model], MaxDepth: 0 }), new Set([model]));
    const withEdges = await query({ StartArns: [context], IncludeEdges: true });
    assert.equal(withEdges.Edges?.length, 4);
    const without = await query({ StartArns: [context], IncludeEdges: false });
    assert.equal(without.Vertices?.length, 5);
    assert.deepEqual(without.Edges, []);
  });

  test('filters: created and modified windows, properties (any pair), types', async () => {
    const created = (await s.sm.send(new DescribeArtifactCommand({ ArtifactArn: dataset })))
      .CreationTime;
    assert.ok(created);
    const before = new Date(created.getTime() - 1);
    assert.deepEqual(
      await arns({ StartArns: [context], Filters: { CreatedBefore: before } }),
      new Set([image]),
      'only the image was created before the dataset',
    );
    const later = await arns({ StartArns: [context], Filters: { CreatedAfter: before } });
    assert.ok(!later.has(image) && later.has(dataset) && later.has(context));
    await s.sm.send(new UpdateArtifactCommand({ ArtifactArn: model, Properties: { v: '2' } }));
    const modified = (await s.sm.send(new DescribeArtifactCommand({ ArtifactArn: model })))
      .LastModifiedTime;
    assert.ok(modified);
    assert.deepEqual(
      await arns({
        StartArns: [context],
        Filters: { ModifiedAfter: new Date(modified.getTime() - 1) },
      }),
      new Set([model]),
    );
    assert.ok(
      !(
        await arns({
          StartArns: [context],
          Filters: { ModifiedBefore: new Date(modified.getTime()) },
        })
      ).has(model),
    );
    assert.deepEqual(
      await arns({
        StartArns: [context],
        Filters: { Properties: { team: 'data', other: 'nothing' } },
      }),
      new Set([dataset]),
      'any one pair matching is enough',
    );
    assert.deepEqual(
      await arns({
        StartArns: [context],
        Filters: { Types: ['Image', 'DataSet'], LineageTypes: ['Artifact'] },
      }),
      new Set([image, dataset]),
    );
  });
});

describe('errors of every operation', () => {
  test('unknown names and ARNs are ResourceNotFound; malformed ones ValidationException', async () => {
    const ctx = 'arn:aws:sagemaker:us-east-1:000000000000:context/none-such';
    for (const call of [
      () => s.sm.send(new DescribeContextCommand({ ContextName: ctx })),
      () => s.sm.send(new UpdateContextCommand({ ContextName: 'none-such', Description: 'd' })),
      () => s.sm.send(new UpdateActionCommand({ ActionName: 'none-such', Status: 'Failed' })),
      () => s.sm.send(new DeleteActionCommand({ ActionName: 'none-such' })),
      () =>
        s.sm.send(
          new DeleteAssociationCommand({
            SourceArn: ctx,
            DestinationArn: ctx.replace('context', 'action'),
          }),
        ),
      () => s.sm.send(new AddTagsCommand({ ResourceArn: ctx, Tags: [{ Key: 'k', Value: 'v' }] })),
      () => s.sm.send(new DescribeLineageGroupCommand({ LineageGroupName: 'none-such' })),
    ]) {
      assert.equal(await code(call()), 'ResourceNotFound');
    }
    for (const call of [
      () => s.sm.send(new DescribeArtifactCommand({ ArtifactArn: 'not-an-arn' })),
      () =>
        s.sm.send(
          new DescribeArtifactCommand({
            ArtifactArn: 'arn:aws:sagemaker:us-east-1:000000000000:context/x',
          }),
        ),
      () => s.sm.send(new DescribeLineageGroupCommand({ LineageGroupName: 'bad_name' })),
      () =>
        s.sm.send(
          new AddAssociationCommand({
            SourceArn: ctx,
            DestinationArn: ctx,
            AssociationType: 'Caused' as 'Produced',
          }),
        ),
      () =>
        s.sm.send(
          new AddAssociationCommand({
            SourceArn: 'arn:aws:sagemaker:us-east-1:000000000000:lineage-group/g',
            DestinationArn: ctx,
          }),
        ),
      () => s.sm.send(new ListArtifactsCommand({ SortBy: 'Name' as 'CreationTime' })),
      () => s.sm.send(new ListTagsCommand({ ResourceArn: ctx, MaxResults: 49 })),
      () => s.sm.send(new DeleteTagsCommand({ ResourceArn: ctx, TagKeys: [] })),
      () =>
        s.sm.send(
          new CreateActionCommand({
            ActionName: 'a',
            Source: { SourceUri: 'x' },
            ActionType: 't'.repeat(257),
          }),
        ),
      () =>
        s.sm.send(
          new CreateContextCommand({
            ContextName: 'c',
            Source: { SourceUri: 'x' },
            ContextType: 't',
            Description: 'd'.repeat(3073),
          }),
        ),
    ]) {
      assert.equal(await code(call()), 'ValidationException');
    }
    await s.sm.send(
      new CreateActionCommand({
        ActionName: 'type-256',
        Source: { SourceUri: 'x' },
        ActionType: 't'.repeat(256),
      }),
    );
    await s.sm.send(
      new CreateContextCommand({
        ContextName: 'desc-3072',
        Source: { SourceUri: 'x' },
        ContextType: 't',
        Description: 'd'.repeat(3072),
      }),
    );
  });

  test('concurrent updates either apply or answer ConflictException, never lose silently', async () => {
    const arn = await artifact('s3://gaps/conflict', 'T');
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        s.sm.send(new UpdateArtifactCommand({ ArtifactArn: arn, Properties: { n: String(i) } })),
      ),
    );
    const codes = results.map((r) =>
      r.status === 'fulfilled' ? 'ok' : (r.reason as { name: string }).name,
    );
    assert.ok(codes.includes('ok'));
    assert.deepEqual(
      codes.filter((c) => c !== 'ok' && c !== 'ConflictException'),
      [],
    );
    const d = await s.sm.send(new DescribeArtifactCommand({ ArtifactArn: arn }));
    const applied = results.flatMap((r, i) => (r.status === 'fulfilled' ? [String(i)] : []));
    assert.ok(applied.includes(d.Properties?.['n'] ?? ''), 'the state is one applied update');
  });

  test('ListTags pages of at least 50; lineage groups by name', async () => {
    const arn = await artifact('s3://gaps/tags', 'T');
    const tags = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await s.sm.send(new AddTagsCommand({ ResourceArn: arn, Tags: tags }));
    const page = await s.sm.send(new ListTagsCommand({ ResourceArn: arn, MaxResults: 50 }));
    assert.equal(page.Tags?.length, 50);
    assert.equal(page.NextToken, undefined);
    const groups = await s.sm.send(
      new ListLineageGroupsCommand({ SortBy: 'Name', SortOrder: 'Descending', MaxResults: 1 }),
    );
    assert.equal(groups.LineageGroupSummaries?.length, 1);
    assert.equal(groups.NextToken, undefined);
    const g = await s.sm.send(
      new DescribeLineageGroupCommand({ LineageGroupName: 'sagemaker-default-lineage-group' }),
    );
    assert.equal(g.LineageGroupName, 'sagemaker-default-lineage-group');
    assert.deepEqual(g.CreatedBy, {});
    assert.ok(g.LastModifiedTime instanceof Date);
  });
});
