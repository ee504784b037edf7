import { notFound, validation } from '../errors.js';
import { compact, str, type Handler, type OperationContext } from '../context.js';
import {
  arnOf,
  arnPrefix,
  fromRow,
  fromRun,
  seconds,
  userContext,
  type LineageEntity,
} from '../entities.js';
import { createdRange, decodeToken, mergePages, type PageSource } from '../paging.js';
import { parseRunUri } from './sources.js';
import type { SageMakerLimits } from '../context.js';
import {
  conflict,
  createOnce,
  limitExceeded,
  lineageGroupArn,
  sortOrder,
  tagsOf,
  updatedProperties,
  maxResults,
} from './common.js';

/**
 * Contexts and actions behave alike: unique by name, ARN `<kind>/<name>`, described by name or
 * ARN, updated and deleted by name. One implementation, two member vocabularies.
 */
interface NamedKind {
  kind: 'context' | 'action';
  label: 'Context' | 'Action';
  quota: keyof SageMakerLimits;
}

const CONTEXT: NamedKind = { kind: 'context', label: 'Context', quota: 'contexts' };
const ACTION: NamedKind = { kind: 'action', label: 'Action', quota: 'actions' };

function nameFromNameOrArn(value: string, kind: string): string {
  const m = new RegExp(`^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:\\d{12}:${kind}/(.+)$`).exec(value);
  return m?.[1] ?? value;
}

async function existing(
  ctx: OperationContext,
  k: NamedKind,
  nameOrArn: string,
): Promise<LineageEntity> {
  const name = nameFromNameOrArn(nameOrArn, k.kind);
  const row = await ctx.store.entityByName(k.kind, name);
  if (row) return fromRow(row);
  if (k.kind === 'action' && /^[0-9a-f]{32}$/.test(name)) {
    const [run] = await ctx.store.runs([name]);
    if (run) return fromRun(ctx, run);
  }
  throw notFound(`${k.label} ${nameOrArn} does not exist.`);
}

/** Runs logged through the SDK are actions here, but they change only through the SDK. */
function writable(k: NamedKind, e: LineageEntity): LineageEntity {
  if (e.native) {
    throw validation(`${k.label} ${e.arn} is a Cairn run; it is read-only on this endpoint.`);
  }
  return e;
}

function create(k: NamedKind): Handler {
  return async (ctx, input) => {
    const name = String(input[`${k.label}Name`]);
    const arn = arnOf(ctx, k.kind, name);
    const source = input['Source'] as Record<string, unknown>;
    const now = ctx.nowMs();
    const exists = `${k.label} ${arn} already exists.`;
    await createOnce(ctx, exists, async (store) => {
      if (await store.entityByName(k.kind, name)) throw validation(exists);
      if ((await store.countEntities(k.kind)) >= ctx.limits[k.quota]) {
        throw limitExceeded(k.quota, ctx.limits[k.quota]);
      }
      await store.insertEntity({
        arn,
        kind: k.kind,
        name,
        name_key: `${k.kind}:${name}`,
        source_key: null,
        type: str(input[`${k.label}Type`]) ?? '',
        source: JSON.stringify(source),
        source_uri: String(source['SourceUri']),
        description: str(input['Description']) ?? null,
        status: k.kind === 'action' ? (str(input['Status']) ?? 'Unknown') : null,
        properties: JSON.stringify(input['Properties'] ?? {}),
        metadata_properties:
          input['MetadataProperties'] === undefined
            ? null
            : JSON.stringify(input['MetadataProperties']),
        created_ms: now,
        updated_ms: now,
        created_by: ctx.identity,
        modified_by: ctx.identity,
      });
      await store.putTags(arn, tagsOf(input));
    });
    return { [`${k.label}Arn`]: arn };
  };
}

function describe(k: NamedKind): Handler {
  return async (ctx, input) => {
    const e = await existing(ctx, k, String(input[`${k.label}Name`]));
    return compact({
      [`${k.label}Name`]: e.name,
      [`${k.label}Arn`]: e.arn,
      Source: e.source,
      [`${k.label}Type`]: e.type,
      Description: e.description,
      Status: e.status,
      Properties: e.properties,
      CreationTime: seconds(e.createdMs),
      CreatedBy: userContext(e.createdBy),
      LastModifiedTime: seconds(e.updatedMs),
      LastModifiedBy: userContext(e.modifiedBy),
      MetadataProperties: k.kind === 'action' ? e.metadataProperties : undefined,
      LineageGroupArn: await lineageGroupArn(ctx),
    });
  };
}

function update(k: NamedKind): Handler {
  return async (ctx, input) => {
    const e = writable(k, await existing(ctx, k, String(input[`${k.label}Name`])));
    const applied = await ctx.store.updateEntity(e.arn, e.revision, {
      ...(input['Description'] !== undefined ? { description: str(input['Description']) } : {}),
      ...(k.kind === 'action' && input['Status'] !== undefined
        ? { status: str(input['Status']) }
        : {}),
      properties: JSON.stringify(updatedProperties(e.properties, input)),
      updated_ms: ctx.nowMs(),
      modified_by: ctx.identity,
    });
    if (!applied) throw conflict(e);
    return { [`${k.label}Arn`]: e.arn };
  };
}

function remove(k: NamedKind): Handler {
  return async (ctx, input) => {
    const e = writable(k, await existing(ctx, k, String(input[`${k.label}Name`])));
    await ctx.store.transaction((store) => store.deleteEntity(e.arn));
    return { [`${k.label}Arn`]: e.arn };
  };
}

/**
 * Entities created here (and, for actions, runs logged through the SDK) in CreationTime order
 * (key `[ms, name]`: an action's ARN ends in its name, a run's in its id) or Name order (key
 * `[name]`), paged in the database.
 */
function list(k: NamedKind): Handler {
  return async (ctx, input) => {
    const type = str(input[`${k.label}Type`]);
    const sourceUri = str(input['SourceUri']);
    const created = createdRange(input['CreatedAfter'], input['CreatedBefore']);
    const by = input['SortBy'] === 'Name' ? 'name' : 'created';
    const prefix = arnPrefix(ctx, k.kind);
    const key = (e: LineageEntity) =>
      by === 'name' ? [e.name ?? ''] : [e.createdMs, e.arn.slice(prefix.length)];
    const sources: PageSource<LineageEntity>[] = [
      async (req) =>
        (
          await ctx.store.lists.entities(
            k.kind,
            {
              created,
              ...(type !== undefined ? { type } : {}),
              ...(sourceUri !== undefined ? { sourceUri } : {}),
            },
            by,
            prefix,
            req,
          )
        ).map((row) => {
          const e = fromRow(row);
          return { item: e, key: key(e) };
        }),
    ];
    if (k.kind === 'action') {
      sources.push(async (req) =>
        (
          await ctx.store.lists.runs(
            {
              created,
              ...(type !== undefined ? { type } : {}),
              ...(sourceUri !== undefined ? { source: parseRunUri(sourceUri) } : {}),
            },
            by,
            req,
          )
        ).map((r) => {
          const e = fromRun(ctx, r);
          return { item: e, key: key(e) };
        }),
      );
    }
    const { page, nextToken } = await mergePages(
      sources,
      decodeToken(str(input['NextToken']), by === 'name' ? ['string'] : ['number', 'string']),
      sortOrder(input['SortOrder']),
      maxResults(input['MaxResults']),
    );
    return compact({
      [`${k.label}Summaries`]: page.map((e) =>
        compact({
          [`${k.label}Arn`]: e.arn,
          [`${k.label}Name`]: e.name,
          Source: e.source,
          [`${k.label}Type`]: e.type,
          Status: e.status,
          CreationTime: seconds(e.createdMs),
          LastModifiedTime: seconds(e.updatedMs),
        }),
      ),
      NextToken: nextToken,
    });
  };
}

export const createContext = create(CONTEXT);
export const describeContext = describe(CONTEXT);
export const updateContext = update(CONTEXT);
export const deleteContext = remove(CONTEXT);
export const listContexts = list(CONTEXT);
export const createAction = create(ACTION);
export const describeAction = describe(ACTION);
export const updateAction = update(ACTION);
export const deleteAction = remove(ACTION);
export const listActions = list(ACTION);
