-- A file uploaded to the console's import (/console/data), kept between the dry run the owner
-- sees and the confirmation that imports it: one per store (a new upload replaces it), for an
-- hour at most (src/import-export/uploads.ts). The confirmation names it by its random id.

-- CreateTable
CREATE TABLE "import_upload" (
    "id" TEXT NOT NULL,
    "store_id" INTEGER NOT NULL,
    "file_name" TEXT NOT NULL,
    "body" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "import_upload_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "import_upload_store_id_idx" ON "import_upload"("store_id");

-- AddForeignKey
ALTER TABLE "import_upload" ADD CONSTRAINT "import_upload_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "store"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
