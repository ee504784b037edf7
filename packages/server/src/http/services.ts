import type { BlobService } from '../service/blob-service.js';
import type { GcService } from '../service/gc-service.js';
import type { LocalUploads } from '../service/local-uploads.js';
import type { UploadService } from '../service/upload-service.js';
import type { VersionService } from '../service/version-service.js';

export interface Services {
  blobs: BlobService;
  localUploads: LocalUploads;
  uploads: UploadService;
  versions: VersionService;
  gc: GcService;
}
