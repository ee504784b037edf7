import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AddAssociationCommand,
  CreateArtifactCommand,
  CreateContextCommand,
  DescribeArtifactCommand,
  DescribeContextCommand,
  DescribeLineageGroupCommand,
  ListArtifactsCommand,
  ListAssociationsCommand,
  QueryLineageCommand,
  SageMakerClient,
  UpdateArtifactCommand,
  UpdateContextCommand,
} from '@aws-sdk/client-sagemaker';
import type { BuildMiddleware, MetadataBearer } from '@smithy/types';
import { testServer, type TestServer } from './helpers.js';
import { errorCode, sageMakerServer } from './sagemaker-helpers.js';

let s: TestServer;
const clients: SageMakerClient[] = [];
before(async () => {
  s = await testServer({ accessKeys: { AKIDALICE: 'alice-secret', AKIDBOB: 'bob-secret' } });
});
after(async () => {
  for (const c of clients) c.destroy();
  await s.close();
});

function client(accessKeyId: string, secretAccessKey: string, region: string, url = s.url) {
  const c = new SageMakerClient({
    endpoint: url,
    region,
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
  clients.push(c);
  return c;
}

describe('CreatedBy / LastModifiedBy', () => {
  test('the verified access key id is the user; updates change LastModifiedBy only', async () => {
    const alice = client('AKIDALICE', 'alice-secret', 'us-east-1');
    const bob = client('AKIDBOB', 'bob-secret', 'us-east-1');
    const { ArtifactArn: arn = '' } = await alice.send(
      new CreateArtifactCommand({ Source: { SourceUri: 's3://who/a' }, ArtifactType: 'DataSet' }),
    );
    await bob.send(new UpdateArtifactCommand({ ArtifactArn: arn, Properties: { k: 'v' } }));
    const d = await alice.send(new DescribeArtifactCommand({ ArtifactArn: arn }));
    assert.deepEqual(d.CreatedBy, { UserProfileName: 'AKIDALICE' });
    assert.deepEqual(d.LastModifiedBy, { UserProfileName: 'AKIDBOB' });

    await bob.send(
      new CreateContextCommand({
        ContextName: 'who-ep',
        Source: { SourceUri: 'ep' },
        ContextType: 'Endpoint',
      }),
    );
    await alice.send(new UpdateContextCommand({ ContextName: 'who-ep', Description: 'x' }));
    const c = await bob.send(new DescribeContextCommand({ ContextName: 'who-ep' }));
    assert.deepEqual(c.CreatedBy, { UserProfileName: 'AKIDBOB' });
    assert.deepEqual(c.LastModifiedBy, { UserProfileName: 'AKIDALICE' });

    await bob.send(new AddAssociationCommand({ SourceArn: arn, DestinationArn: c.ContextArn }));
    const assoc = await alice.send(new ListAssociationsCommand({ SourceArn: arn }));
    assert.deepEqual(assoc.AssociationSummaries?.[0]?.CreatedBy, { UserProfileName: 'AKIDBOB' });

    const g = await alice.send(
      new DescribeLineageGroupCommand({ LineageGroupName: 'sagemaker-default-lineage-group' }),
    );
    assert.deepEqual(g.CreatedBy, { UserProfileName: 'AKIDALICE' }, 'made by the first create');
  });

  test('nothing verified, nothing claimed: unsigned servers answer {} as AWS does outside Studio', async () => {
    const open = await sageMakerServer();
    try {
      const { ArtifactArn } = await open.sm.send(
        new CreateArtifactCommand({ Source: { SourceUri: 's3://anon' }, ArtifactType: 'T' }),
      );
      const d = await open.sm.send(new DescribeArtifactCommand({ ArtifactArn }));
      assert.deepEqual(d.CreatedBy, {});
      assert.deepEqual(d.LastModifiedBy, {});
    } finally {
      await open.close();
    }
  });
});

describe('region from the signature scope', () => {
  test('each client sees ARNs in the region it signed for, over one graph', async () => {
    const eu = client('AKIDALICE', 'alice-secret', 'eu-west-1');
    const us = client('AKIDBOB', 'bob-secret', 'us-east-1');
    const { ArtifactArn: euArn = '' } = await eu.send(
      new CreateArtifactCommand({ Source: { SourceUri: 's3://region/x' }, ArtifactType: 'R' }),
    );
    assert.match(euArn, /^arn:aws:sagemaker:eu-west-1:000000000000:artifact\/[0-9a-f]{32}$/);
    const usArn = euArn.replace('eu-west-1', 'us-east-1');
    const seenByUs = await us.send(new ListArtifactsCommand({ ArtifactType: 'R' }));
    assert.deepEqual(
      seenByUs.ArtifactSummaries?.map((a) => a.ArtifactArn),
      [usArn],
    );
    // Either spelling reaches the same artifact; answers use the caller's region.
    const d = await eu.send(new DescribeArtifactCommand({ ArtifactArn: usArn }));
    assert.equal(d.ArtifactArn, euArn);
    assert.match(d.LineageGroupArn ?? '', /^arn:aws:sagemaker:eu-west-1:/);
    const { ArtifactArn: other = '' } = await us.send(
      new CreateArtifactCommand({ Source: { SourceUri: 's3://region/y' }, ArtifactType: 'R' }),
    );
    await eu.send(
      new AddAssociationCommand({
        SourceArn: other.replace('us-east-1', 'eu-west-1'),
        DestinationArn: euArn,
      }),
    );
    const q = await us.send(
      new QueryLineageCommand({ StartArns: [usArn], Direction: 'Ascendants', IncludeEdges: true }),
    );
    assert.deepEqual(q.Edges, [
      { SourceArn: other, DestinationArn: usArn, AssociationType: 'AssociatedWith' },
    ]);
    // Source URIs are user data: an ARN inside one is never rewritten.
    const { ArtifactArn: kept = '' } = await eu.send(
      new CreateArtifactCommand({
        Source: { SourceUri: 'arn:aws:sagemaker:us-east-1:000000000000:model-package/p/1' },
        ArtifactType: 'R',
      }),
    );
    const k = await eu.send(new DescribeArtifactCommand({ ArtifactArn: kept }));
    assert.equal(k.Source?.SourceUri, 'arn:aws:sagemaker:us-east-1:000000000000:model-package/p/1');
    const missing = await eu
      .send(new DescribeArtifactCommand({ ArtifactArn: euArn.replace(/.{4}$/, 'ffff') }))
      .catch((e: Error) => e);
    assert.match((missing as Error).message, /arn:aws:sagemaker:eu-west-1:/, 'errors too');
  });

  test('without keys the scope still picks the region; unsigned requests get the stored one', async () => {
    const open = await sageMakerServer();
    try {
      const ap = new SageMakerClient({
        endpoint: open.url,
        region: 'ap-south-1',
        credentials: { accessKeyId: 'anything', secretAccessKey: 'anything' },
        maxAttempts: 1,
      });
      clients.push(ap);
      const { ArtifactArn } = await ap.send(
        new CreateArtifactCommand({ Source: { SourceUri: 's3://scope' }, ArtifactType: 'T' }),
      );
      assert.match(ArtifactArn ?? '', /^arn:aws:sagemaker:ap-south-1:/);
      const raw = await open.raw('SageMaker.ListArtifacts', '{}');
      const body = (await raw.json()) as { ArtifactSummaries: { ArtifactArn: string }[] };
      assert.match(body.ArtifactSummaries[0]?.ArtifactArn ?? '', /^arn:aws:sagemaker:us-east-1:/);
    } finally {
      await open.close();
    }
  });

  test('a pinned region refuses other scopes with AWS error, serves its own', async () => {
    const pinned = await testServer({
      region: 'eu-central-1',
      accessKeys: { AKIDALICE: 'alice-secret' },
    });
    try {
      const wrong = client('AKIDALICE', 'alice-secret', 'us-east-1', pinned.url);
      const err = await wrong.send(new ListArtifactsCommand({})).catch((e: Error) => e);
      assert.equal((err as Error).name, 'InvalidSignatureException');
      assert.match(
        (err as Error).message,
        /scoped to a valid region, not 'us-east-1'.*eu-central-1/,
      );
      const right = client('AKIDALICE', 'alice-secret', 'eu-central-1', pinned.url);
      const { ArtifactArn } = await right.send(
        new CreateArtifactCommand({ Source: { SourceUri: 's3://pinned' }, ArtifactType: 'T' }),
      );
      assert.match(ArtifactArn ?? '', /^arn:aws:sagemaker:eu-central-1:/);
      // Pinned, an ARN of another region names nothing here.
      assert.equal(
        await errorCode(
          right.send(
            new DescribeArtifactCommand({
              ArtifactArn: (ArtifactArn ?? '').replace('eu-central-1', 'us-east-1'),
            }),
          ),
        ),
        'ResourceNotFound',
      );
    } finally {
      await pinned.close();
    }
  });
});

test('x-amz-content-sha256 must be the hash of the body', async () => {
  const sm = client('AKIDALICE', 'alice-secret', 'us-east-1');
  // Before the signer, so the (wrong) header is signed like any other.
  const lie: BuildMiddleware<object, MetadataBearer> = (next) => async (args) => {
    const req = args.request as { headers: Record<string, string> };
    req.headers['x-amz-content-sha256'] = '0'.repeat(64);
    return next(args);
  };
  sm.middlewareStack.add(lie, { step: 'build', name: 'lie' });
  const err = await sm.send(new ListArtifactsCommand({})).catch((e: Error) => e);
  assert.equal((err as Error).name, 'InvalidSignatureException');
  assert.match((err as Error).message, /x-amz-content-sha256/);
});
