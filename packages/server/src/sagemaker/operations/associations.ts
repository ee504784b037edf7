import { notFound, validation } from '../errors.js';
import { compact, str, type Handler } from '../context.js';
import { resolve, seconds } from '../entities.js';
import { createdWithin, paginate } from '../paging.js';
import { isUniqueViolation } from '../store.js';
import { limitExceeded, maxResults, sortOrder } from './common.js';

/** AWS leaves the type to the caller; an untyped edge is stored as a plain association. */
const DEFAULT_ASSOCIATION_TYPE = 'AssociatedWith';

export const addAssociation: Handler = async (ctx, input) => {
  const source = String(input['SourceArn']);
  const dest = String(input['DestinationArn']);
  const found = await resolve(ctx, [source, dest]);
  for (const arn of [source, dest]) {
    if (!found.has(arn)) throw notFound(`${arn} does not exist.`);
  }
  const exists = `Association between ${source} and ${dest} already exists.`;
  try {
    await ctx.store.transaction(async (store) => {
      if (await store.association(source, dest)) throw validation(exists);
      if ((await store.countAssociations()) >= ctx.limits.associations) {
        throw limitExceeded('associations', ctx.limits.associations);
      }
      await store.insertAssociation({
        source_arn: source,
        dest_arn: dest,
        type: str(input['AssociationType']) ?? DEFAULT_ASSOCIATION_TYPE,
        created_at: new Date(ctx.nowMs()).toISOString(),
      });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw validation(exists);
    throw err;
  }
  return { SourceArn: source, DestinationArn: dest };
};

export const deleteAssociation: Handler = async (ctx, input) => {
  const source = String(input['SourceArn']);
  const dest = String(input['DestinationArn']);
  if (!(await ctx.store.association(source, dest))) {
    throw notFound(`Association between ${source} and ${dest} does not exist.`);
  }
  await ctx.store.deleteAssociation(source, dest);
  return { SourceArn: source, DestinationArn: dest };
};

const SORT_KEYS = ['SourceArn', 'DestinationArn', 'SourceType', 'DestinationType'] as const;

export const listAssociations: Handler = async (ctx, input) => {
  const source = str(input['SourceArn']);
  const dest = str(input['DestinationArn']);
  const type = str(input['AssociationType']);
  const rows = await ctx.store.listAssociations({
    ...(source !== undefined ? { source } : {}),
    ...(dest !== undefined ? { dest } : {}),
    ...(type !== undefined ? { type } : {}),
  });
  const entities = await resolve(
    ctx,
    rows.flatMap((r) => [r.source_arn, r.dest_arn]),
  );
  const within = createdWithin(input['CreatedAfter'], input['CreatedBefore']);
  const summaries = rows
    .map((r) => {
      const s = entities.get(r.source_arn);
      const d = entities.get(r.dest_arn);
      return {
        SourceArn: r.source_arn,
        DestinationArn: r.dest_arn,
        SourceType: s?.type,
        DestinationType: d?.type,
        AssociationType: r.type,
        SourceName: s?.name,
        DestinationName: d?.name,
        createdMs: Date.parse(r.created_at),
      };
    })
    .filter(
      (a) =>
        within(a.createdMs) &&
        (input['SourceType'] === undefined || a.SourceType === input['SourceType']) &&
        (input['DestinationType'] === undefined || a.DestinationType === input['DestinationType']),
    );
  const sortBy = str(input['SortBy']) ?? 'CreationTime';
  const { page, nextToken } = paginate(
    summaries,
    (a) => [
      SORT_KEYS.includes(sortBy as (typeof SORT_KEYS)[number])
        ? (a[sortBy as (typeof SORT_KEYS)[number]] ?? '')
        : a.createdMs,
      a.SourceArn,
      a.DestinationArn,
    ],
    sortOrder(input['SortOrder']),
    str(input['NextToken']),
    maxResults(input['MaxResults']),
  );
  return compact({
    AssociationSummaries: page.map(({ createdMs, ...a }) =>
      compact({ ...a, CreationTime: seconds(createdMs) }),
    ),
    NextToken: nextToken,
  });
};
