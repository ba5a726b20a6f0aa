// `/console/data`, the owner's: import a customer list (shared/spec/migration.md, "Import") in two
// steps, and download the exports. The upload is checked at once (a dry run) and kept
// (ImportUploads); the preview shows the summary or every wrong line, and only a file without
// one can be confirmed, which imports the bytes that were checked. An upload is a
// multipart/form-data body within BODY_LIMIT, read by the platform's own FormData parser.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { ImportRejectedError, LISTED_ERRORS, type ImportSummary } from "../../import-export/import.js";
import { wordProblem, type LineError } from "../../import-export/import-file.js";
import { ConflictError, InvalidArgumentError } from "../../platform/errors.js";
import type { ConsoleDeps } from "../deps.js";
import { CONSOLE_PATH, flash, pageContext, sendPage, type PageContext } from "../page.js";
import { CsrfField } from "../../platform/page.js";
import { badRequest } from "../requests.js";
import { formatNumber } from "../format.js";
import type { Language } from "../../platform/i18n.js";
import { DATA_WORDS, type DataWords } from "./words.js";

const DATA_PATH = `${CONSOLE_PATH}/data`;
const ownerRoute = { config: { role: "owner" as const } };

/** An uploaded file of a multipart form. */
interface UploadedFile {
  name: string;
  bytes: Buffer;
}

/** A multipart form's text fields, and its files. */
type MultipartForm = Record<string, string | UploadedFile>;

/** Reads a multipart/form-data body with the FormData parser that Node's fetch brings. */
async function parseMultipart(contentType: string, body: Buffer): Promise<MultipartForm> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), { headers: { "content-type": contentType } }).formData();
  } catch {
    throw badRequest("malformed multipart/form-data body");
  }
  const fields: MultipartForm = {};
  for (const [name, value] of form) {
    fields[name] = typeof value === "string" ? value : { name: value.name, bytes: Buffer.from(await value.arrayBuffer()) };
  }
  return fields;
}

const uploadForm = z.object({ file: z.custom<UploadedFile>((v) => typeof v === "object" && v !== null && "bytes" in v) });
const confirmForm = z.object({ upload: z.string().min(1) });
const day = z.iso.date();
const historyQuery = z.object({ from: day.optional(), to: day.optional() });

function ImportForm({ ctx, w, sizeLimitKb }: { ctx: PageContext; w: DataWords; sizeLimitKb: number }) {
  return (
    <form method="post" action={`${DATA_PATH}/import`} enctype="multipart/form-data" class="panel">
      <h2>{w.importHeading}</h2>
      <p>{w.importHelp}</p>
      <CsrfField csrf={ctx.csrf} />
      <label for="import-file">{w.file}</label>
      <input
        id="import-file"
        name="file"
        type="file"
        accept=".csv,.tsv,.txt,text/csv,text/tab-separated-values"
        required
        aria-describedby="import-file-help"
        data-testid="import-file"
      />
      <p id="import-file-help" class="help">
        {w.sizeLimit(sizeLimitKb)}
      </p>
      <button type="submit" data-testid="import-check">
        {w.check}
      </button>
    </form>
  );
}

function Exports({ w }: { w: DataWords }) {
  return (
    <section class="panel" aria-labelledby="export-heading">
      <h2 id="export-heading">{w.exportHeading}</h2>
      <p>{w.exportHelp}</p>
      <p class="actions">
        <a class="button secondary" href={`${DATA_PATH}/members.csv`} download data-testid="export-members">
          {w.exportMembers}
        </a>
        <a class="button secondary" href={`${DATA_PATH}/history.csv`} download data-testid="export-history">
          {w.exportHistory}
        </a>
      </p>
      <form method="get" action={`${DATA_PATH}/history.csv`}>
        <h3>{w.historyRange}</h3>
        <label for="history-from">{w.from}</label>
        <input id="history-from" name="from" type="date" required />
        <label for="history-to">{w.to}</label>
        <input id="history-to" name="to" type="date" required />
        <button type="submit" class="secondary">
          {w.exportHistory}
        </button>
      </form>
    </section>
  );
}

/** The dry run's summary, as a list of its figures. */
function Summary({ lang, w, summary }: { lang: Language; w: DataWords; summary: ImportSummary }) {
  const figures = Object.keys(w.summary) as (keyof DataWords["summary"])[];
  return (
    <dl class="figures">
      {figures.map((k) => (
        <div key={k} class="figure">
          <dt>{w.summary[k]}</dt>
          <dd>
            <strong data-figure={k}>{formatNumber(lang, summary[k])}</strong>
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Every wrong line (the first LISTED_ERRORS, then how many more). */
function WrongLines({ w, errors }: { w: DataWords; errors: LineError[] }) {
  return (
    <div data-testid="import-errors">
      <p class="message error" role="alert">
        {w.wrongLines(errors.length)}
      </p>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th class="number">{w.errorLine}</th>
              <th>{w.errorColumn}</th>
              <th>{w.errorReason}</th>
            </tr>
          </thead>
          <tbody>
            {errors.slice(0, LISTED_ERRORS).map((e, i) => (
              <tr key={i}>
                <td class="number">{e.line}</td>
                <td>{e.column}</td>
                <td>{wordProblem(e.problem, w.problems)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {errors.length > LISTED_ERRORS && <p>{w.moreWrongLines(errors.length - LISTED_ERRORS)}</p>}
      <p>{w.fixAndRetry}</p>
    </div>
  );
}

export const dataRoutes =
  (deps: ConsoleDeps): FastifyPluginAsync =>
  async (app) => {
    // This plugin's routes only: an upload within the server's BODY_LIMIT, like every body.
    app.addContentTypeParser("multipart/form-data", { parseAs: "buffer" }, async (request: FastifyRequest, body: Buffer) =>
      parseMultipart(request.headers["content-type"]!, body),
    );
    const sizeLimitKb = Math.floor(app.initialConfig.bodyLimit! / 1024);

    const words = (request: FastifyRequest, reply: FastifyReply) => {
      const ctx = pageContext(request, reply);
      return { ctx, w: DATA_WORDS[ctx.lang] };
    };
    const back = (reply: FastifyReply, kind: "ok" | "error", text: string) => flash(reply, { kind, text }).redirect(DATA_PATH, 303);

    /** The preview of an upload: its summary and the confirm form, or every wrong line. */
    const showPreview = (
      request: FastifyRequest,
      reply: FastifyReply,
      p: { fileName: string; upload: string; result: { summary: ImportSummary } | { errors: LineError[] } },
    ) => {
      const { ctx, w } = words(request, reply);
      return sendPage(request, reply, {
        title: w.previewTitle,
        status: "errors" in p.result ? 422 : 200,
        body: (
          <section class="panel" data-testid="import-preview">
            <p>{w.fileName(p.fileName)}</p>
            {"errors" in p.result ? (
              <WrongLines w={w} errors={p.result.errors} />
            ) : (
              <>
                <Summary lang={ctx.lang} w={w} summary={p.result.summary} />
                <p>{w.readyToImport}</p>
                <form method="post" action={`${DATA_PATH}/import/confirm`}>
                  <CsrfField csrf={ctx.csrf} />
                  <input type="hidden" name="upload" value={p.upload} />
                  <button type="submit" data-testid="import-confirm">
                    {w.confirm}
                  </button>{" "}
                  <a class="button secondary" href={DATA_PATH}>
                    {w.cancel}
                  </a>
                </form>
              </>
            )}
          </section>
        ),
      });
    };

    /** Runs the import of `file`, or its dry run: the summary, or every wrong line. */
    const runImport = async (ctx: PageContext, file: Buffer, dryRun: boolean) => {
      try {
        return { summary: await deps.imports.importMembers(ctx.user.storeId, file, { dryRun, consoleLogin: ctx.user.login }) };
      } catch (err) {
        if (err instanceof ImportRejectedError) return { errors: err.errors };
        throw err;
      }
    };

    app.get("/data", ownerRoute, async (request, reply) => {
      const { ctx, w } = words(request, reply);
      return sendPage(request, reply, {
        title: w.title,
        body: (
          <>
            <ImportForm ctx={ctx} w={w} sizeLimitKb={sizeLimitKb} />
            <Exports w={w} />
          </>
        ),
      });
    });

    app.post("/data/import", ownerRoute, async (request, reply) => {
      const { ctx, w } = words(request, reply);
      const form = uploadForm.safeParse(request.body);
      if (!form.success || form.data.file.bytes.length === 0) return back(reply, "error", w.noFile);
      const { name, bytes } = form.data.file;
      const upload = await deps.importUploads.keep(ctx.user.storeId, name, bytes);
      const result = await runImport(ctx, bytes, true);
      // Only a file without a wrong line can be confirmed.
      if ("errors" in result) await deps.importUploads.discard(ctx.user.storeId, upload);
      return showPreview(request, reply, { fileName: name, upload, result });
    });

    app.post("/data/import/confirm", ownerRoute, async (request, reply) => {
      const { ctx, w } = words(request, reply);
      const form = confirmForm.safeParse(request.body);
      const upload = form.success ? await deps.importUploads.find(ctx.user.storeId, form.data.upload) : null;
      if (!form.success || !upload) return back(reply, "error", w.uploadGone);
      let result;
      try {
        result = await runImport(ctx, upload.file, false);
      } catch (err) {
        if (err instanceof ConflictError) return back(reply, "error", w.conflict);
        throw err;
      }
      await deps.importUploads.discard(ctx.user.storeId, form.data.upload);
      // Wrong now, though right at its dry run: the database changed meanwhile (a member imported, a number taken).
      if ("errors" in result) return showPreview(request, reply, { fileName: upload.fileName, upload: form.data.upload, result });
      return back(reply, "ok", w.imported(result.summary.lines_read, result.summary.balance_imported));
    });

    app.get("/data/members.csv", ownerRoute, async (request, reply) => {
      const file = await deps.exports.members(pageContext(request, reply).user.storeId);
      return reply.headers(file.headers).send(file.body);
    });

    app.get("/data/history.csv", ownerRoute, async (request, reply) => {
      const { ctx, w } = words(request, reply);
      const range = historyQuery.safeParse(request.query);
      if (!range.success) return back(reply, "error", w.badRange);
      try {
        const file = await deps.exports.history(ctx.user.storeId, range.data);
        return await reply.headers(file.headers).send(file.body);
      } catch (err) {
        if (err instanceof InvalidArgumentError) return back(reply, "error", w.badRange);
        throw err;
      }
    });
  };
