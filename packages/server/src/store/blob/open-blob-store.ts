import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';
import type { S3Location } from './s3-location.js';

/** The bucket when one is configured, else `<dataDir>/objects` on the local filesystem. */
export async function openBlobStore(
  dataDir: string,
  s3: S3Location | undefined,
): Promise<BlobStore> {
  return s3 ? S3BlobStore.open(s3) : FsBlobStore.open(dataDir);
}
