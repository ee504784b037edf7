import { notFound, validation } from '../errors.js';
import { compact, str, type Handler } from '../context.js';
import { resolve, seconds, userContext } from '../entities.js';
import { associationKey, type AssociationSort } from '../list-store.js';
import { createdRange, decodeToken, mergePages } from '../paging.js';
import { isUniqueViolation } from '../store.js';
import { limitExceeded, maxResults, sortOrder } from './common.js';

/** AWS leaves the type to the caller; an untyped edge is stored as a plain association. */
const DEFAULT_ASSOCIATION_TYPE = 'AssociatedWith';

export const addAssociation: Handler = async (ctx, input) => {
  const found = await resolve(ctx, [String(input['SourceArn']), String(input['DestinationArn'])]);
  const [s, d] = [String(input['SourceArn']), String(input['DestinationArn'])].map((arn) => {
    const e = found.get(arn);
    if (!e) throw notFound(`${arn} does not exist.`);
    return e;
  });
  if (!s || !d) throw validation('SourceArn and DestinationArn are required.');
  const [source, dest] = [s.arn, d.arn];
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
        created_by: ctx.identity,
        source_type: s.type,
        dest_type: d.type,
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

/**
 * Filters (endpoints, association type, endpoint types, creation window) and every SortBy run
 * in SQL with keyset pages over indexes (list-store.ts); only the page's endpoints are
 * resolved, for their names.
 */
export const listAssociations: Handler = async (ctx, input) => {
  const source = str(input['SourceArn']);
  const dest = str(input['DestinationArn']);
  const type = str(input['AssociationType']);
  const sourceType = str(input['SourceType']);
  const destType = str(input['DestinationType']);
  const sortBy = (str(input['SortBy']) ?? 'CreationTime') as AssociationSort;
  const created = createdRange(input['CreatedAfter'], input['CreatedBefore']);
  const { page, nextToken } = await mergePages(
    [
      async (req) =>
        (
          await ctx.store.lists.associations(
            {
              created,
              ...(source !== undefined ? { source } : {}),
              ...(dest !== undefined ? { dest } : {}),
              ...(type !== undefined ? { type } : {}),
              ...(sourceType !== undefined ? { sourceType } : {}),
              ...(destType !== undefined ? { destType } : {}),
            },
            sortBy,
            req,
          )
        ).map((r) => ({ item: r, key: associationKey(r, sortBy) })),
    ],
    decodeToken(
      str(input['NextToken']),
      sortBy === 'SourceArn' || sortBy === 'DestinationArn'
        ? ['string', 'string']
        : ['string', 'string', 'string'],
    ),
    sortOrder(input['SortOrder']),
    maxResults(input['MaxResults']),
  );
  const entities = await resolve(
    ctx,
    page.flatMap((r) => [r.source_arn, r.dest_arn]),
  );
  return compact({
    AssociationSummaries: page.map((r) =>
      compact({
        SourceArn: r.source_arn,
        DestinationArn: r.dest_arn,
        SourceType: r.source_type || undefined,
        DestinationType: r.dest_type || undefined,
        AssociationType: r.type,
        SourceName: entities.get(r.source_arn)?.name,
        DestinationName: entities.get(r.dest_arn)?.name,
        CreationTime: seconds(Date.parse(r.created_at)),
        CreatedBy: userContext(r.created_by),
      }),
    ),
    NextToken: nextToken,
  });
};
