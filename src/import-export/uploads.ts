// Files uploaded to the console's import (shared/spec/console.md, "/console/data"): the owner sees
// the dry run of the file, then confirms it, and the confirmation imports the very bytes that were
// checked, without sending them again (the request body stays within BODY_LIMIT). One per store:
// a new upload replaces the store's last; an upload older than an hour is gone.
import type { Prisma as Db } from "../platform/db/client.js";
import { newSecret } from "../platform/secrets.js";

/** How long an upload waits for its confirmation. */
export const UPLOAD_MINUTES = 60;

export interface Upload {
  fileName: string;
  file: Buffer;
}

export class ImportUploads {
  constructor(
    private readonly db: Db,
    /** The time of uploads (tests move it instead of waiting). */
    private readonly clock: () => Date,
  ) {}

  /** Keeps `file` as the store's upload, in place of its last one; its id, for the confirmation. */
  async keep(storeId: number, fileName: string, file: Buffer): Promise<string> {
    const id = newSecret(16);
    await this.db.$transaction([
      this.db.importUpload.deleteMany({ where: { OR: [{ storeId }, { createdAt: { lt: this.oldest() } }] } }),
      this.db.importUpload.create({ data: { id, storeId, fileName, body: new Uint8Array(file), createdAt: this.clock() } }),
    ]);
    return id;
  }

  /** The store's upload `id`, unless it was replaced, taken or is more than an hour old. */
  async find(storeId: number, id: string): Promise<Upload | null> {
    const upload = await this.db.importUpload.findFirst({ where: { id, storeId, createdAt: { gte: this.oldest() } } });
    return upload && { fileName: upload.fileName, file: Buffer.from(upload.body) };
  }

  /** Forgets the store's upload `id` (once imported). */
  async discard(storeId: number, id: string): Promise<void> {
    await this.db.importUpload.deleteMany({ where: { id, storeId } });
  }

  private oldest(): Date {
    return new Date(this.clock().getTime() - UPLOAD_MINUTES * 60_000);
  }
}
