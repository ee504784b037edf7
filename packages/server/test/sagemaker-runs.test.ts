import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  DescribeActionCommand,
  ListActionsCommand,
  ListAssociationsCommand,
  QueryLineageCommand,
  UpdateActionCommand,
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

test('runs logged through the native API are SageMaker actions in the same graph', async () => {
  const input = await logFiles(s.api, { collection: 'raw' }, { a: 'input bytes' });
  const run = await json<{ id: string }>(
    post(`${s.api}/runs`, { entity: 'alice', project: 'proj', name: 'train-1', jobType: 'train' }),
  );
  await json(post(`${s.api}/runs/${run.id}/inputs`, { versionId: input.version.id }));
  const output = await logFiles(s.api, { collection: 'model', type: 'model' }, { w: 'weights' });
  await json(post(`${s.api}/runs/${run.id}/outputs`, { versionId: output.version.id }));

  const listed = await s.sm.send(new ListActionsCommand({ ActionType: 'train' }));
  const summary = listed.ActionSummaries?.find((a) => a.ActionName === run.id);
  assert.ok(summary, 'the run is listed as an action');
  assert.match(summary.ActionArn ?? '', new RegExp(`:action/${run.id}$`));
  assert.equal(summary.Status, 'InProgress');

  const described = await s.sm.send(new DescribeActionCommand({ ActionName: run.id }));
  assert.equal(described.ActionType, 'train');
  assert.equal(described.Properties?.['name'], 'train-1');

  assert.equal(
    await errorCode(s.sm.send(new UpdateActionCommand({ ActionName: run.id, Status: 'Failed' }))),
    'ValidationException',
  );

  const lineage = await s.sm.send(
    new QueryLineageCommand({
      StartArns: [summary.ActionArn ?? ''],
      Direction: 'Both',
      IncludeEdges: true,
    }),
  );
  const types = (lineage.Vertices ?? []).map((v) => v.LineageType).sort();
  assert.deepEqual(types, ['Action', 'Artifact', 'Artifact']);
  const run2 = lineage.Vertices?.find((v) => v.LineageType === 'Action');
  assert.equal(run2?.Type, 'train');
  assert.equal(lineage.Edges?.length, 2);

  // Edges the native API wrote carry the types of both ends too, so type filters find them.
  const typed = await s.sm.send(
    new ListAssociationsCommand({ SourceType: 'dataset', DestinationType: 'train' }),
  );
  assert.deepEqual(
    typed.AssociationSummaries?.map((a) => [a.DestinationArn, a.DestinationName]),
    [[summary.ActionArn, run.id]],
  );
  const produced = await s.sm.send(new ListAssociationsCommand({ SourceArn: summary.ActionArn }));
  assert.equal(produced.AssociationSummaries?.[0]?.DestinationType, 'model');
});

test('per-account quotas are configurable and answer ResourceLimitExceeded', async () => {
  const { testServer } = await import('./helpers.js');
  const { SageMakerClient, CreateContextCommand } = await import('@aws-sdk/client-sagemaker');
  const t = await testServer({ sagemakerLimits: { contexts: 2 } });
  const sm = new SageMakerClient({
    endpoint: t.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  });
  try {
    const make = (name: string) =>
      sm.send(
        new CreateContextCommand({
          ContextName: name,
          ContextType: 'Endpoint',
          Source: { SourceUri: `s3://x/${name}` },
        }),
      );
    await make('one');
    await make('two');
    assert.equal(await errorCode(make('three')), 'ResourceLimitExceeded');
  } finally {
    sm.destroy();
    await t.close();
  }
  const { startServer } = await import('@cairn/server');
  await assert.rejects(
    startServer({ port: 0, dataDir: '/nonexistent', sagemakerLimits: { things: 3 } as never }),
    /unknown SageMaker quota/,
  );
});
