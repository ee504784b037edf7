/**
 * Load generator for the SageMaker face, run as its own process by bench/sagemaker.ts so the
 * client's CPU is not the measured server's. Keeps N keep-alive connections busy for a while;
 * every request gets its own X-Amz-Date and a SigV4 signature computed for it (what boto3 signs:
 * content-type;host;x-amz-date;x-amz-target), so the server verifies a fresh signature each time.
 * The signing key is derived once per day, as the AWS SDKs cache it.
 *
 * Input (argv[2], JSON): { url, accessKeyId, secret, region, seconds, connections, target,
 * body } — `{n}` in the body becomes a number unique to this run (for creates).
 * Output (stdout, one JSON line): { requests, seconds, errors, latenciesMs: sorted sample }.
 */
import { createHash, createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';

interface LoadSpec {
  url: string;
  accessKeyId: string;
  secret: string;
  region: string;
  seconds: number;
  connections: number;
  target: string;
  body: string;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const target = new URL(spec.url);
const host = target.host;
const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });

const hmac = (key: string | Buffer, s: string): Buffer =>
  createHmac('sha256', key).update(s).digest();
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

let keyDate = '';
let signingKey: Buffer = Buffer.alloc(0);
function keyFor(date: string): Buffer {
  if (date !== keyDate) {
    signingKey = hmac(
      hmac(hmac(hmac(`AWS4${spec.secret}`, date), spec.region), 'sagemaker'),
      'aws4_request',
    );
    keyDate = date;
  }
  return signingKey;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const SIGNED = 'content-type;host;x-amz-date;x-amz-target';

function sign(body: string): Record<string, string> {
  const amzDate = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const canonical = `POST\n/\n\ncontent-type:${CONTENT_TYPE}\nhost:${host}\nx-amz-date:${amzDate}\nx-amz-target:${spec.target}\n\n${SIGNED}\n${sha256(body)}`;
  const scope = `${date}/${spec.region}/sagemaker/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256(canonical)}`;
  const signature = createHmac('sha256', keyFor(date)).update(toSign).digest('hex');
  return {
    'content-type': CONTENT_TYPE,
    'x-amz-date': amzDate,
    'x-amz-target': spec.target,
    'content-length': String(Buffer.byteLength(body)),
    authorization: `AWS4-HMAC-SHA256 Credential=${spec.accessKeyId}/${scope}, SignedHeaders=${SIGNED}, Signature=${signature}`,
  };
}

function once(body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: '/',
        method: 'POST',
        headers: sign(body),
        agent,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const latencies: number[] = [];
let errors = 0;
let n = 0;
const started = Date.now();
const end = started + spec.seconds * 1000;
await Promise.all(
  Array.from({ length: spec.connections }, async () => {
    while (Date.now() < end) {
      const body = spec.body.replace('{n}', `${started}-${n++}`);
      const t = process.hrtime.bigint();
      const status = await once(body);
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (status !== 200) errors++;
    }
  }),
);
const seconds = (Date.now() - started) / 1000;
agent.destroy();
latencies.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({ requests: latencies.length, seconds, errors, latenciesMs: latencies })}\n`,
);
