import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { testServer, type TestServer } from './helpers.js';

export interface SageMakerTestServer extends TestServer {
  sm: SageMakerClient;
  /** A raw POST / with the given target, body and content type. */
  raw(target: string, body: string, contentType?: string): Promise<Response>;
}

/** A real server on an ephemeral port and the real AWS SDK client pointed at it. */
export async function sageMakerServer(): Promise<SageMakerTestServer> {
  const s = await testServer();
  const sm = new SageMakerClient({
    endpoint: s.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-checked-on-loopback' },
    maxAttempts: 1,
  });
  return {
    ...s,
    sm,
    raw: (target, body, contentType = 'application/x-amz-json-1.1') =>
      fetch(`${s.url}/`, {
        method: 'POST',
        headers: { 'content-type': contentType, 'x-amz-target': target },
        body,
      }),
    async close() {
      sm.destroy();
      await s.close();
    },
  };
}

/** The `name` (AWS error code) of what a promise rejected with. */
export async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { name: string }).name;
  }
  throw new Error('expected the call to fail');
}

export const ACCOUNT_ARN = /^arn:aws:sagemaker:us-east-1:\d{12}:/;
