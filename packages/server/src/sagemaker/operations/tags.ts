import { notFound, validation } from '../errors.js';
import { compact, str, type Handler, type OperationContext } from '../context.js';
import { resolveOne } from '../entities.js';
import { decodeToken, paginate } from '../paging.js';
import { tagsOf } from './common.js';

const MAX_TAGS = 50;

async function mustExist(ctx: OperationContext, arn: string): Promise<void> {
  if (/:[0-9]{12}:lineage-group\//.test(arn)) {
    const name = arn.slice(arn.indexOf('lineage-group/') + 'lineage-group/'.length);
    if ((await ctx.store.lineageGroups()).some((g) => g.name === name)) return;
  } else if (await resolveOne(ctx, arn)) {
    return;
  }
  throw notFound(`Resource ${arn} does not exist.`);
}

export const addTags: Handler = async (ctx, input) => {
  const arn = String(input['ResourceArn']);
  await mustExist(ctx, arn);
  const tags = tagsOf(input);
  await ctx.store.transaction(async (store) => {
    const keys = new Set((await store.tags(arn)).map((t) => t.key));
    for (const t of tags) keys.add(t.key);
    if (keys.size > MAX_TAGS) {
      throw validation(
        `A resource can have at most ${MAX_TAGS} tags; ${arn} would have ${keys.size}.`,
      );
    }
    await store.putTags(arn, tags);
  });
  return { Tags: tags.map((t) => ({ Key: t.key, Value: t.value })) };
};

export const listTags: Handler = async (ctx, input) => {
  const arn = String(input['ResourceArn']);
  await mustExist(ctx, arn);
  const all = (await ctx.store.tags(arn)).map((t, i) => ({ ...t, i }));
  const { page, nextToken } = paginate(
    all,
    (t) => [t.i],
    false,
    decodeToken(str(input['NextToken']), ['number']),
    typeof input['MaxResults'] === 'number' ? input['MaxResults'] : MAX_TAGS,
  );
  return compact({ Tags: page.map((t) => ({ Key: t.key, Value: t.value })), NextToken: nextToken });
};

export const deleteTags: Handler = async (ctx, input) => {
  const arn = String(input['ResourceArn']);
  await mustExist(ctx, arn);
  await ctx.store.deleteTags(arn, input['TagKeys'] as string[]);
  return {};
};
