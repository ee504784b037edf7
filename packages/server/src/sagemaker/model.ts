import { readFileSync } from 'node:fs';

/**
 * The slice of the AWS SDK's published SageMaker service model (botocore
 * `data/sagemaker/2017-07-24/service-2.json`) covering the 24 lineage operations. Validation is
 * interpreted from it (validate.ts), so limits and patterns follow the model, not hand copies.
 */
export interface MemberRef {
  shape: string;
}

export type Shape =
  | { type: 'string'; min?: number; max?: number; pattern?: string; enum?: string[] }
  | { type: 'integer' | 'long'; min?: number; max?: number; box?: boolean }
  | { type: 'boolean' }
  | { type: 'timestamp' }
  | { type: 'list'; member: MemberRef; min?: number; max?: number }
  | { type: 'map'; key: MemberRef; value: MemberRef; min?: number; max?: number }
  | {
      type: 'structure';
      members: Record<string, MemberRef>;
      required?: string[];
      exception?: boolean;
    };

export interface Operation {
  name: string;
  input: MemberRef;
  output: MemberRef;
  errors?: MemberRef[];
}

export interface ServiceModel {
  metadata: { targetPrefix: string; jsonVersion: string };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

export const model = JSON.parse(
  readFileSync(new URL('./model.json', import.meta.url), 'utf8'),
) as ServiceModel;

export function shapeOf(name: string): Shape {
  const s = model.shapes[name];
  if (!s) throw new Error(`SageMaker model has no shape ${name}`);
  return s;
}
