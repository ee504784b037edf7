import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ListContextsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { FinalizeRequestMiddleware, MetadataBearer } from '@smithy/types';
import { errorCode } from './sagemaker-helpers.js';
import { testServer, type TestServer } from './helpers.js';

let s: TestServer;
before(async () => {
  s = await testServer({ accessKeys: { AKIDALICE: 'alice-secret', AKIDBOB: 'bob-secret' } });
});
after(async () => {
  await s.close();
});

function client(accessKeyId: string, secretAccessKey: string, systemClockOffset = 0) {
  return new SageMakerClient({
    endpoint: s.url,
    region: 'eu-west-1',
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
    systemClockOffset,
  });
}

test('requests signed with a configured key are accepted', async () => {
  for (const [id, secret] of [
    ['AKIDALICE', 'alice-secret'],
    ['AKIDBOB', 'bob-secret'],
  ] as const) {
    const sm = client(id, secret);
    const out = await sm.send(new ListContextsCommand({}));
    assert.deepEqual(out.ContextSummaries, []);
    sm.destroy();
  }
});

test('wrong secret, unknown key, expired and missing signatures are refused with AWS codes', async () => {
  const wrong = client('AKIDALICE', 'bob-secret');
  assert.equal(
    await errorCode(wrong.send(new ListContextsCommand({}))),
    'InvalidSignatureException',
  );
  const unknown = client('AKIDNOBODY', 'x');
  assert.equal(
    await errorCode(unknown.send(new ListContextsCommand({}))),
    'UnrecognizedClientException',
  );
  const late = client('AKIDALICE', 'alice-secret', -20 * 60 * 1000);
  const expired = late.send(new ListContextsCommand({})).catch((e: Error) => e);
  const err = (await expired) as Error;
  assert.equal(err.name, 'InvalidSignatureException');
  assert.match(err.message, /Signature expired/);
  for (const c of [wrong, unknown, late]) c.destroy();

  const unsigned = await fetch(`${s.url}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'SageMaker.ListContexts',
    },
    body: '{}',
  });
  assert.equal(unsigned.status, 403);
  assert.equal(
    ((await unsigned.json()) as { __type: string }).__type,
    'MissingAuthenticationTokenException',
  );
  const malformed = await fetch(`${s.url}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'SageMaker.ListContexts',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIDALICE',
    },
    body: '{}',
  });
  assert.equal(
    ((await malformed.json()) as { __type: string }).__type,
    'IncompleteSignatureException',
  );
  const badQuery = await fetch(`${s.url}/?a=%zz`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'SageMaker.ListContexts',
      'x-amz-date': new Date()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, ''),
      authorization: `AWS4-HMAC-SHA256 Credential=AKIDALICE/${new Date().toISOString().slice(0, 10).replace(/-/g, '')}/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
    },
    body: '{}',
  });
  assert.equal(badQuery.status, 400, 'a malformed query string is a 4xx, not a 500');
});

test('a tampered body fails the signature', async () => {
  const sm = client('AKIDALICE', 'alice-secret');
  // Runs after the signer: the body changes once the signature over it is fixed.
  const tamper: FinalizeRequestMiddleware<object, MetadataBearer> = (next) => async (args) => {
    const req = args.request as { body?: string; headers: Record<string, string> };
    req.body = '{"MaxResults":5}';
    req.headers['content-length'] = String(req.body.length);
    return next(args);
  };
  sm.middlewareStack.addRelativeTo(tamper, {
    relation: 'after',
    toMiddleware: 'awsAuthMiddleware',
    name: 'tamper',
  });
  assert.equal(await errorCode(sm.send(new ListContextsCommand({}))), 'InvalidSignatureException');
  sm.destroy();
});

test('access key secrets also work as bearer tokens on the native API', async () => {
  const none = await fetch(`${s.api}/collections?entity=a&project=b`);
  assert.equal(none.status, 401);
  const ok = await fetch(`${s.api}/collections?entity=a&project=b`, {
    headers: { authorization: 'Bearer bob-secret' },
  });
  assert.equal(ok.status, 200);
});
