import { notFound, validation } from '../errors.js';
import { compact, str, type Handler, type OperationContext } from '../context.js';
import {
  artifactIdOf,
  artifactSourceKey,
  arnOf,
  arnPrefix,
  fromRow,
  fromVersion,
  resolveOne,
  seconds,
  userContext,
  type LineageEntity,
} from '../entities.js';
import { createdRange, decodeToken, mergePages, type PageSource } from '../paging.js';
import { parseVersionUri } from './sources.js';
import {
  conflict,
  createOnce,
  limitExceeded,
  lineageGroupArn,
  readOnlyVersion,
  sortOrder,
  tagsOf,
  updatedProperties,
  maxResults,
} from './common.js';

function sourceOf(input: Record<string, unknown>): Record<string, unknown> {
  return input['Source'] as Record<string, unknown>;
}

async function existing(ctx: OperationContext, arn: string): Promise<LineageEntity> {
  const e = await resolveOne(ctx, arn);
  if (e?.kind !== 'artifact') throw notFound(`Artifact ${arn} does not exist.`);
  return e;
}

export const createArtifact: Handler = async (ctx, input) => {
  const source = sourceOf(input);
  const sourceKey = artifactSourceKey(source);
  const arn = arnOf(ctx, 'artifact', artifactIdOf(sourceKey));
  const now = ctx.nowMs();
  await createOnce(ctx, `Artifact ${arn} already exists.`, async (store) => {
    if (await store.entityBySource(sourceKey)) throw validation(`Artifact ${arn} already exists.`);
    if ((await store.countEntities('artifact')) >= ctx.limits.artifacts) {
      throw limitExceeded('artifacts', ctx.limits.artifacts);
    }
    await store.insertEntity({
      arn,
      kind: 'artifact',
      name: str(input['ArtifactName']) ?? null,
      name_key: null,
      source_key: sourceKey,
      type: str(input['ArtifactType']) ?? '',
      source: JSON.stringify(source),
      source_uri: String(source['SourceUri']),
      description: null,
      status: null,
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
  return { ArtifactArn: arn };
};

export const describeArtifact: Handler = async (ctx, input) => {
  const e = await existing(ctx, String(input['ArtifactArn']));
  return compact({
    ArtifactName: e.name,
    ArtifactArn: e.arn,
    Source: e.source,
    ArtifactType: e.type,
    Properties: e.properties,
    CreationTime: seconds(e.createdMs),
    CreatedBy: userContext(e.createdBy),
    LastModifiedTime: seconds(e.updatedMs),
    LastModifiedBy: userContext(e.modifiedBy),
    MetadataProperties: e.metadataProperties,
    LineageGroupArn: await lineageGroupArn(ctx),
  });
};

export const updateArtifact: Handler = async (ctx, input) => {
  const e = await existing(ctx, String(input['ArtifactArn']));
  if (e.native) throw readOnlyVersion(e);
  const applied = await ctx.store.updateEntity(e.arn, e.revision, {
    ...(input['ArtifactName'] !== undefined ? { name: str(input['ArtifactName']) ?? null } : {}),
    properties: JSON.stringify(updatedProperties(e.properties, input)),
    updated_ms: ctx.nowMs(),
    modified_by: ctx.identity,
  });
  if (!applied) throw conflict(e);
  return { ArtifactArn: e.arn };
};

export const deleteArtifact: Handler = async (ctx, input) => {
  let e: LineageEntity | undefined;
  if (input['ArtifactArn'] !== undefined) {
    e = await existing(ctx, String(input['ArtifactArn']));
  } else if (input['Source'] !== undefined) {
    const row = await ctx.store.entityBySource(artifactSourceKey(sourceOf(input)));
    if (!row) throw notFound(`No artifact has the source ${String(sourceOf(input)['SourceUri'])}.`);
    e = fromRow(row);
  } else {
    throw validation('Either ArtifactArn or Source must be specified.');
  }
  if (e.native) throw readOnlyVersion(e);
  const arn = e.arn;
  await ctx.store.transaction((store) => store.deleteEntity(arn));
  return { ArtifactArn: arn };
};

/**
 * Artifacts created here and artifact versions logged through the native API, merged in
 * CreationTime order (the only sort AWS offers here); key `[ms, ARN id]`, paged in the database.
 */
export const listArtifacts: Handler = async (ctx, input) => {
  const type = str(input['ArtifactType']);
  const sourceUri = str(input['SourceUri']);
  const created = createdRange(input['CreatedAfter'], input['CreatedBefore']);
  const prefix = arnPrefix(ctx, 'artifact');
  const fromHere: PageSource<LineageEntity> = async (req) =>
    (
      await ctx.store.lists.entities(
        'artifact',
        {
          created,
          ...(type !== undefined ? { type } : {}),
          ...(sourceUri !== undefined ? { sourceUri } : {}),
        },
        'created',
        prefix,
        req,
      )
    ).map((row) => {
      const e = fromRow(row);
      return { item: e, key: [e.createdMs, e.arn.slice(prefix.length)] };
    });
  const logged: PageSource<LineageEntity> = async (req) =>
    (
      await ctx.store.lists.versions(
        {
          created,
          ...(type !== undefined ? { type } : {}),
          ...(sourceUri !== undefined ? { source: parseVersionUri(sourceUri) } : {}),
        },
        req,
      )
    ).map((v) => ({ item: fromVersion(ctx, v), key: [Date.parse(v.created_at), v.id] }));
  const { page, nextToken } = await mergePages(
    [fromHere, logged],
    decodeToken(str(input['NextToken']), ['number', 'string']),
    sortOrder(input['SortOrder']),
    maxResults(input['MaxResults']),
  );
  return compact({
    ArtifactSummaries: page.map((e) =>
      compact({
        ArtifactArn: e.arn,
        ArtifactName: e.name,
        Source: e.source,
        ArtifactType: e.type,
        CreationTime: seconds(e.createdMs),
        LastModifiedTime: seconds(e.updatedMs),
      }),
    ),
    NextToken: nextToken,
  });
};
