import { ValidationError } from './errors.js';
import { validateAlias, validateName } from './validation.js';

/**
 * Artifact references as users type them: `name`, `project/name`, `entity/project/name` and
 * `entity/folder/…/project/name` (the first segment is the entity, the last the collection, the
 * rest the project path), each optionally followed by `:alias` / `:vN` or `@digest`.
 */
export interface ArtifactRef {
  entity: string;
  project: string;
  collection: string;
  /** An alias or `vN`; absent together with `digest` means `latest`. */
  alias?: string;
  /** Hex MD5 artifact digest. */
  digest?: string;
}

export interface RefDefaults {
  entity?: string;
  project?: string;
}

export function validateProjectPath(value: string): string {
  const segments = value.split('/');
  segments.forEach((s) => validateName(s, 'project name'));
  return segments.join('/');
}

export function parseArtifactRef(ref: string, defaults: RefDefaults = {}): ArtifactRef {
  if (typeof ref !== 'string' || ref.length === 0) {
    throw new ValidationError('artifact reference must be a non-empty string', { rule: 'ref' });
  }
  let body = ref;
  let alias: string | undefined;
  let digest: string | undefined;
  const at = body.lastIndexOf('@');
  const colon = body.lastIndexOf(':');
  if (at > colon && at > body.lastIndexOf('/')) {
    digest = body.slice(at + 1);
    body = body.slice(0, at);
    if (!/^[0-9a-f]{32}$/.test(digest)) {
      throw new ValidationError(
        `artifact reference ${JSON.stringify(ref)}: '@' must be followed by a 32-hex-digit digest`,
        { rule: 'ref.digest' },
      );
    }
  } else if (colon > body.lastIndexOf('/')) {
    alias = validateAlias(body.slice(colon + 1), true);
    body = body.slice(0, colon);
  }
  const segments = body.split('/');
  if (segments.some((s) => s === '')) {
    throw new ValidationError(`artifact reference ${JSON.stringify(ref)} has an empty segment`, {
      rule: 'ref.segments',
    });
  }
  const collection = validateName(segments.pop());
  let entity: string | undefined;
  let project: string | undefined;
  if (segments.length === 0) {
    entity = defaults.entity;
    project = defaults.project;
  } else if (segments.length === 1) {
    entity = defaults.entity;
    project = segments[0];
  } else {
    entity = segments[0];
    project = segments.slice(1).join('/');
  }
  if (project === undefined) {
    throw new ValidationError(
      `artifact reference ${JSON.stringify(ref)} names no project; write project/name or set CAIRN_PROJECT`,
      { rule: 'ref.project' },
    );
  }
  if (entity === undefined) {
    throw new ValidationError(
      `artifact reference ${JSON.stringify(ref)} names no entity; write entity/project/name or set CAIRN_ENTITY`,
      { rule: 'ref.entity' },
    );
  }
  validateName(entity, 'entity name');
  validateProjectPath(project);
  const out: ArtifactRef = { entity, project, collection };
  if (alias !== undefined) out.alias = alias;
  if (digest !== undefined) out.digest = digest;
  return out;
}

export function formatArtifactRef(r: ArtifactRef): string {
  const base = `${r.entity}/${r.project}/${r.collection}`;
  if (r.digest !== undefined) return `${base}@${r.digest}`;
  return r.alias !== undefined ? `${base}:${r.alias}` : base;
}
