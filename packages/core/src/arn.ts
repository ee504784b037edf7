import { randomBytes } from 'node:crypto';
import { ValidationError } from './errors.js';

/** Node kinds of the lineage graph; each has an ARN `arn:aws:sagemaker:<region>:<account>:<kind>/<id>`. */
export type NodeKind = 'artifact' | 'action' | 'context' | 'experiment-trial-component';

export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_ACCOUNT = '000000000000';

/** Ids are 32 lowercase hex digits: unguessable, URL-safe, and the same shape everywhere. */
export function newId(): string {
  return randomBytes(16).toString('hex');
}

export function isId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{32}$/.test(value);
}

export function formatArn(
  kind: NodeKind,
  id: string,
  region = DEFAULT_REGION,
  account = DEFAULT_ACCOUNT,
): string {
  return `arn:aws:sagemaker:${region}:${account}:${kind}/${id}`;
}

export interface ParsedArn {
  region: string;
  account: string;
  kind: string;
  id: string;
}

export function parseArn(arn: string): ParsedArn {
  const m = /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]*):(\d{12}):([a-z-]+)\/(.+)$/.exec(arn);
  if (!m) {
    throw new ValidationError(`${JSON.stringify(arn)} is not a SageMaker ARN`, { rule: 'arn' });
  }
  return { region: m[1] ?? '', account: m[2] ?? '', kind: m[3] ?? '', id: m[4] ?? '' };
}
