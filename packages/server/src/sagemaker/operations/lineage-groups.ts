import { notFound } from '../errors.js';
import { compact, str, type Handler } from '../context.js';
import { arnOf, seconds, userContext } from '../entities.js';
import { createdRange, decodeToken, paginate, within } from '../paging.js';
import { maxResults, sortOrder } from './common.js';

export const describeLineageGroup: Handler = async (ctx, input) => {
  const name = String(input['LineageGroupName']);
  const g = (await ctx.store.lineageGroups()).find((x) => x.name === name);
  if (!g) throw notFound(`Lineage group ${name} does not exist.`);
  return compact({
    LineageGroupName: g.name,
    LineageGroupArn: arnOf(ctx, 'lineage-group', g.name),
    DisplayName: g.display_name,
    Description: g.description,
    CreationTime: seconds(Number(g.created_ms)),
    CreatedBy: userContext(g.created_by),
    LastModifiedTime: seconds(Number(g.created_ms)),
    LastModifiedBy: userContext(g.created_by),
  });
};

/** One group per account (the default), so this list pages in memory. */
export const listLineageGroups: Handler = async (ctx, input) => {
  const range = createdRange(input['CreatedAfter'], input['CreatedBefore']);
  const groups = (await ctx.store.lineageGroups()).filter((g) =>
    within(range, Number(g.created_ms)),
  );
  const byName = input['SortBy'] === 'Name';
  const { page, nextToken } = paginate(
    groups,
    (g) => (byName ? [g.name] : [Number(g.created_ms), g.name]),
    sortOrder(input['SortOrder'], 'Ascending'),
    decodeToken(str(input['NextToken']), byName ? ['string'] : ['number', 'string']),
    maxResults(input['MaxResults']),
  );
  return compact({
    LineageGroupSummaries: page.map((g) =>
      compact({
        LineageGroupArn: arnOf(ctx, 'lineage-group', g.name),
        LineageGroupName: g.name,
        DisplayName: g.display_name,
        CreationTime: seconds(Number(g.created_ms)),
        LastModifiedTime: seconds(Number(g.created_ms)),
      }),
    ),
    NextToken: nextToken,
  });
};
