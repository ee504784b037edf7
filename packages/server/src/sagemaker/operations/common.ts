import { SageMakerError, validation } from '../errors.js';
import type { OperationContext } from '../context.js';
import { DEFAULT_LINEAGE_GROUP, arnOf, type LineageEntity } from '../entities.js';
import { isUniqueViolation, type SageMakerStore } from '../store.js';

export const LIMIT_NAMES = {
  artifacts: 'Total number of artifacts',
  contexts: 'Total number of contexts',
  actions: 'Total number of actions',
  associations: 'Total number of associations',
} as const;

export function limitExceeded(what: keyof typeof LIMIT_NAMES, limit: number): SageMakerError {
  return new SageMakerError(
    'ResourceLimitExceeded',
    `The account-level service limit '${LIMIT_NAMES[what]}' is ${limit}, with current utilization of ${limit}. Delete unused resources or ask the server operator to raise the limit.`,
  );
}

/** Runs a create in one transaction; a unique-index race becomes AWS's "already exists". */
export async function createOnce(
  ctx: OperationContext,
  alreadyExists: string,
  fn: (store: SageMakerStore) => Promise<void>,
): Promise<void> {
  try {
    await ctx.store.transaction(async (store) => {
      await fn(store);
      await store.ensureLineageGroup(DEFAULT_LINEAGE_GROUP, ctx.nowMs(), ctx.identity);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw validation(alreadyExists);
    throw err;
  }
}

/**
 * The default group's ARN once it exists. Lineage groups are never deleted, so after the first
 * sighting the answer is remembered and Describe* no longer spends a query on it.
 */
export async function lineageGroupArn(ctx: OperationContext): Promise<string | undefined> {
  if (!ctx.cache.defaultGroupExists) {
    const groups = await ctx.store.lineageGroups();
    if (!groups.some((g) => g.name === DEFAULT_LINEAGE_GROUP)) return undefined;
    ctx.cache.defaultGroupExists = true;
  }
  return arnOf(ctx, 'lineage-group', DEFAULT_LINEAGE_GROUP);
}

export function tagsOf(input: Record<string, unknown>): { key: string; value: string }[] {
  const tags = Array.isArray(input['Tags'])
    ? (input['Tags'] as { Key: string; Value: string }[])
    : [];
  const byKey = new Map<string, string>();
  for (const t of tags) byKey.set(t.Key, t.Value);
  return [...byKey].map(([key, value]) => ({ key, value }));
}

/** `Properties` replace the whole map (as AWS documents), then `PropertiesToRemove` deletes keys. */
export function updatedProperties(
  current: Record<string, string>,
  input: Record<string, unknown>,
): Record<string, string> {
  const next =
    typeof input['Properties'] === 'object' && input['Properties'] !== null
      ? { ...(input['Properties'] as Record<string, string>) }
      : { ...current };
  const remove = Array.isArray(input['PropertiesToRemove'])
    ? (input['PropertiesToRemove'] as string[])
    : [];
  for (const k of remove) delete next[k];
  if (Object.keys(next).length > 30) {
    throw validation(
      `An entity can have at most 30 properties; this update would leave ${Object.keys(next).length}`,
    );
  }
  return next;
}

export function readOnlyVersion(e: LineageEntity): SageMakerError {
  return validation(
    `${e.arn} is an artifact version logged through Cairn's API (${e.sourceUri}); versions are immutable here: change them through the Cairn API`,
  );
}

export const sortOrder = (v: unknown, fallback: 'Ascending' | 'Descending' = 'Descending') =>
  (v ?? fallback) === 'Descending';

export const maxResults = (v: unknown, fallback = 10) => (typeof v === 'number' ? v : fallback);

/** Another update of the same entity landed between this one's read and its write. */
export function conflict(e: LineageEntity): SageMakerError {
  return new SageMakerError(
    'ConflictException',
    `${e.arn} was updated by another request while this update was applied; describe it and retry.`,
  );
}
