import { SageMakerError } from './errors.js';
import { shapeOf } from './model.js';

/**
 * Which region a request is for, and ARNs between that region and the one they are stored in.
 *
 * A real SageMaker endpoint serves one region: a request signed for another one is refused with
 * InvalidSignatureException ("Credential should be scoped to a valid region"), and every ARN it
 * returns names its own region. Cairn does the same when its region is pinned (`region` option,
 * `CAIRN_REGION`). Unpinned, it serves whatever region the client signed for, as local emulators
 * do: one graph, shown to each client with ARNs in the region of its signature, and ARNs of any
 * region (same account) accepted as input. Storage always uses the server's region, so the
 * mapping happens only here, at the edge, on members whose shape in the model is an ARN — never
 * on user data such as Source URIs or properties, which may hold ARNs of their own.
 */
const ARN_SHAPES = new Set([
  'ActionArn',
  'ArtifactArn',
  'AssociationEntityArn',
  'ContextArn',
  'ContextNameOrArn',
  'ExperimentEntityNameOrArn',
  'LineageGroupArn',
  'ResourceArn',
]);

const ARN_HEAD = /^arn:aws:sagemaker:([a-z0-9-]*):(\d{12}):/;
const SCOPE = /Credential=[^/\s,]+\/\d{8}\/([^/\s,]+)\//;

export interface RegionPolicy {
  /** The region ARNs are stored in (the server's). */
  region: string;
  account: string;
  /** Refuse requests signed for any other region. */
  pinned: boolean;
}

/** The region named by an Authorization header's credential scope, if any (not verified). */
export function scopeRegion(authorization: string | string[] | undefined): string | undefined {
  return typeof authorization === 'string' ? SCOPE.exec(authorization)?.[1] : undefined;
}

/** The region to answer in; a pinned server refuses other regions as AWS's endpoints do. */
export function requestRegion(policy: RegionPolicy, signedFor: string | undefined): string {
  if (signedFor === undefined || signedFor === policy.region) return policy.region;
  if (policy.pinned) {
    throw new SageMakerError(
      'InvalidSignatureException',
      `Credential should be scoped to a valid region, not '${signedFor}'. This endpoint serves ${policy.region}: sign for it (region=${policy.region} in the client).`,
    );
  }
  return signedFor;
}

function rewrite(arn: string, account: string, from: string | undefined, to: string): string {
  const m = ARN_HEAD.exec(arn);
  if (!m || m[2] !== account || m[1] === to || (from !== undefined && m[1] !== from)) return arn;
  return `arn:aws:sagemaker:${to}:${account}:${arn.slice(m[0].length)}`;
}

/** Walks a value by its model shape and maps every ARN-shaped string in place. */
function mapArns(shapeName: string, value: unknown, fn: (arn: string) => string): unknown {
  if (ARN_SHAPES.has(shapeName)) return typeof value === 'string' ? fn(value) : value;
  const shape = shapeOf(shapeName);
  if (shape.type === 'structure' && typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    for (const [name, ref] of Object.entries(shape.members)) {
      if (o[name] !== undefined) o[name] = mapArns(ref.shape, o[name], fn);
    }
  } else if (shape.type === 'list' && Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = mapArns(shape.member.shape, value[i], fn);
  }
  return value;
}

/** Input ARNs of any region of this account → the stored region (unpinned servers only). */
export function arnsIn(policy: RegionPolicy, shape: string, input: Record<string, unknown>): void {
  if (policy.pinned) return;
  mapArns(shape, input, (arn) => rewrite(arn, policy.account, undefined, policy.region));
}

/** Output ARNs in the stored region → the region the client signed for. */
export function arnsOut(
  policy: RegionPolicy,
  region: string,
  shape: string,
  output: Record<string, unknown>,
): void {
  if (region === policy.region) return;
  mapArns(shape, output, (arn) => rewrite(arn, policy.account, policy.region, region));
}
