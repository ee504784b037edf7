import { createHash } from 'node:crypto';
import { formatArn, type NodeKind } from '@cairn/core';
import type { OperationContext } from './context.js';
import type { EntityKind, EntityRow, RunRow, VersionRow } from './store.js';

/** One node of the graph as the SageMaker face shows it, whichever table it lives in. */
export interface LineageEntity {
  arn: string;
  kind: EntityKind;
  name?: string;
  type: string;
  source: Record<string, unknown>;
  sourceUri: string;
  description?: string;
  status?: string;
  properties: Record<string, string>;
  metadataProperties?: Record<string, string>;
  createdMs: number;
  updatedMs: number;
  createdBy: string | null;
  modifiedBy: string | null;
  /** Counter of updates (entities created here); updates apply only to the revision they read. */
  revision: number;
  /** Logged through the native API (an artifact version): read-only on this face. */
  native: boolean;
}

export const LINEAGE_TYPES: Record<EntityKind, string> = {
  artifact: 'Artifact',
  context: 'Context',
  action: 'Action',
};

export const DEFAULT_LINEAGE_GROUP = 'sagemaker-default-lineage-group';

export function arnOf(ctx: OperationContext, kind: NodeKind | 'lineage-group', id: string) {
  return `arn:aws:sagemaker:${ctx.region}:${ctx.account}:${kind}/${id}`;
}

/** Artifacts are unique by Source: the URI plus its source types, order-independent. */
export function artifactSourceKey(source: Record<string, unknown>): string {
  const types = Array.isArray(source['SourceTypes'])
    ? (source['SourceTypes'] as { SourceIdType: string; Value: string }[])
        .map((t) => [t.SourceIdType, t.Value])
        .sort((a, b) => (a.join('\0') < b.join('\0') ? -1 : a.join('\0') > b.join('\0') ? 1 : 0))
    : [];
  return JSON.stringify([source['SourceUri'], types]);
}

/** The same Source gives the same artifact id in any account (as SageMaker does). */
export function artifactIdOf(sourceKey: string): string {
  return createHash('sha256').update(sourceKey).digest('hex').slice(0, 32);
}

export function fromRow(row: EntityRow): LineageEntity {
  return {
    arn: row.arn,
    kind: row.kind,
    ...(row.name !== null ? { name: row.name } : {}),
    type: row.type,
    source: JSON.parse(row.source) as Record<string, unknown>,
    sourceUri: row.source_uri,
    ...(row.description !== null ? { description: row.description } : {}),
    ...(row.status !== null ? { status: row.status } : {}),
    properties: JSON.parse(row.properties) as Record<string, string>,
    ...(row.metadata_properties !== null
      ? { metadataProperties: JSON.parse(row.metadata_properties) as Record<string, string> }
      : {}),
    createdMs: Number(row.created_ms),
    updatedMs: Number(row.updated_ms),
    createdBy: row.created_by,
    modifiedBy: row.modified_by,
    revision: Number(row.revision),
    native: false,
  };
}

/** An artifact version logged through the SDK, seen as a SageMaker artifact. */
export function fromVersion(ctx: OperationContext, v: VersionRow, arn?: string): LineageEntity {
  const uri = `cairn://${v.entity}/${v.project}/${v.collection}:v${Number(v.idx)}`;
  return {
    arn: arn ?? formatArn('artifact', v.id, ctx.region, ctx.account),
    kind: 'artifact',
    name: `${v.collection}-v${Number(v.idx)}`.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 120),
    type: v.type,
    source: { SourceUri: uri, SourceTypes: [{ SourceIdType: 'Custom', Value: v.digest }] },
    sourceUri: uri,
    properties: {},
    createdMs: Date.parse(v.created_at),
    updatedMs: Date.parse(v.updated_at),
    createdBy: null,
    modifiedBy: null,
    revision: 0,
    native: true,
  };
}

const RUN_STATUS: Record<string, string> = {
  running: 'InProgress',
  finished: 'Completed',
  failed: 'Failed',
  crashed: 'Failed',
};

/** A run logged through the SDK, seen as a SageMaker action named by its id (read-only here). */
export function fromRun(ctx: OperationContext, r: RunRow, arn?: string): LineageEntity {
  const uri = `cairn://runs/${r.entity}/${r.project}/${r.id}`;
  return {
    arn: arn ?? formatArn('action', r.id, ctx.region, ctx.account),
    kind: 'action',
    name: r.id,
    type: r.job_type ?? 'run',
    source: { SourceUri: uri, SourceType: 'CairnRun', SourceId: r.id },
    sourceUri: uri,
    status: RUN_STATUS[r.state] ?? 'Unknown',
    properties: { name: r.name, entity: r.entity, project: r.project },
    createdMs: Date.parse(r.created_at),
    updatedMs: Date.parse(r.finished_at ?? r.heartbeat_at),
    createdBy: null,
    modifiedBy: null,
    revision: 0,
    native: true,
  };
}

function parseKindAndId(arn: string): { kind: string; id: string } | undefined {
  const m = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:\d{12}:([a-z-]+)\/(.+)$/.exec(arn);
  return m?.[1] && m[2] ? { kind: m[1], id: m[2] } : undefined;
}

/**
 * Finds the entities behind ARNs: first those created here, then artifact versions and runs
 * logged through the native API (by id, whatever region or account the ARN was minted with;
 * the entity carries its canonical ARN, which is what associations store).
 */
export async function resolve(
  ctx: OperationContext,
  arns: string[],
): Promise<Map<string, LineageEntity>> {
  const out = new Map<string, LineageEntity>();
  const unique = [...new Set(arns)];
  for (const row of await ctx.store.entities(unique)) out.set(row.arn, fromRow(row));
  const versionArns = new Map<string, string[]>();
  const runArns = new Map<string, string[]>();
  for (const arn of unique) {
    if (out.has(arn)) continue;
    const p = parseKindAndId(arn);
    if (!p || !/^[0-9a-f]{32}$/.test(p.id)) continue;
    const into = p.kind === 'artifact' ? versionArns : p.kind === 'action' ? runArns : undefined;
    into?.set(p.id, [...(into.get(p.id) ?? []), arn]);
  }
  if (runArns.size > 0) {
    for (const r of await ctx.store.runs([...runArns.keys()])) {
      for (const arn of runArns.get(r.id) ?? []) out.set(arn, fromRun(ctx, r));
    }
  }
  if (versionArns.size > 0) {
    for (const v of await ctx.store.versions([...versionArns.keys()])) {
      for (const arn of versionArns.get(v.id) ?? []) out.set(arn, fromVersion(ctx, v));
    }
  }
  return out;
}

export async function resolveOne(
  ctx: OperationContext,
  arn: string,
): Promise<LineageEntity | undefined> {
  return (await resolve(ctx, [arn])).get(arn);
}

/** The `LineageType` of an ARN that resolves to nothing we store (e.g. an SDK run). */
export function lineageTypeOfArn(arn: string): string | undefined {
  const kind = parseKindAndId(arn)?.kind;
  if (kind === 'artifact') return 'Artifact';
  if (kind === 'action') return 'Action';
  if (kind === 'context') return 'Context';
  if (kind === 'experiment-trial-component') return 'TrialComponent';
  return undefined;
}

/**
 * `CreatedBy` / `LastModifiedBy` (UserContext). AWS fills UserProfileArn/UserProfileName/
 * DomainId only for calls made from a SageMaker Studio user profile and answers `{}` otherwise;
 * Cairn has no Studio domains, so the one thing it knows — the access key id whose signature it
 * verified — is the profile name, and nothing is invented for the ARN or domain. Unverified
 * requests (loopback without keys) and entities logged through the native API give `{}`.
 */
export function userContext(identity: string | null): Record<string, string> {
  return identity === null ? {} : { UserProfileName: identity };
}

/** `<kind>/` ARN prefix in the stored region: the tie-breaker of keyset pages is what follows. */
export function arnPrefix(ctx: OperationContext, kind: NodeKind): string {
  return arnOf(ctx, kind, '');
}

export function seconds(ms: number): number {
  return ms / 1000;
}
