/** Reference options after defaults: what every object store handler is given. */
export interface ObjectReferenceOptions {
  name?: string;
  checksum: boolean;
  maxObjects: number;
}
