// The exports of a store (shared/spec/migration.md, "Export"): its pool's members, and its pool's
// history, as CSV files in UTF-8 with a BOM (so that Excel reads Korean), streamed: rows are read
// in batches (ExportSource) and written as they come, so an export of any size holds one batch.
//
// "The store's history" is its pool's: every row of the members' accounts in the store's pool,
// whichever store of a chain made it (its login_id and place say which), as the OPEN API's
// history of a member shows them to any store of the pool. Stamp cards (the stamp API) are not
// members' accounts and are not in it.
//
// Before either file is read, the pool's accounts are brought up to now (what is due expires,
// shared/spec/expiry.md): no balance in it holds an expired lot, and the history has its 소멸 rows.
import { Readable, pipeline } from "node:stream";
import { stringify } from "csv-stringify";
import { InvalidArgumentError, NotFoundError } from "../platform/errors.js";
import { displayPhone, type PhonePolicy } from "../platform/phone.js";
import { presentEntry } from "../stampang/entries.js";
import type { ExpiryService } from "../expiry/service.js";
import type { DayRange, ExportSource } from "./export-source.js";

/** An operation's answer that is a file: its name and its bytes, streamed. */
export class FileAnswer {
  readonly contentType = "text/csv; charset=utf-8";
  constructor(
    readonly filename: string,
    readonly body: Readable,
  ) {}

  /** The headers of an HTTP answer that downloads it. */
  get headers() {
    return { "content-type": this.contentType, "content-disposition": `attachment; filename="${this.filename}"` };
  }
}

export interface ExportConfig {
  phones: PhonePolicy;
  /** The time zone of the dates written for a store without its own (TIME_ZONE). */
  timeZone: string;
}

/** The members export's header: names the import takes (`last_activity` it ignores), so the file imports again. */
export const MEMBER_COLUMNS = ["member_no", "phone", "balance", "joined", "last_activity"];
export const HISTORY_COLUMNS = ["id", "date", "member_no", "phone", "type", "count", "content", "login_id", "place", "balance_after"];

export class ExportService {
  constructor(
    private readonly source: ExportSource,
    private readonly config: ExportConfig,
    private readonly expiry: Pick<ExpiryService, "settlePool">,
  ) {}

  async members(storeId: number): Promise<FileAnswer> {
    const { poolId, timeZone } = await this.storeOf(storeId);
    const rows = this.source.members(poolId, timeZone);
    return new FileAnswer(
      `store-${storeId}-members.csv`,
      csv(MEMBER_COLUMNS, rows, (m) => [m.member_no, displayPhone(m.phone, this.config.phones), m.balance, m.joined, m.last_activity]),
    );
  }

  async history(storeId: number, range: DayRange): Promise<FileAnswer> {
    if (range.from && range.to && range.from > range.to) throw new InvalidArgumentError(`from ${range.from} is after to ${range.to}`);
    const { poolId, timeZone } = await this.storeOf(storeId);
    const rows = this.source.history(poolId, range, timeZone);
    return new FileAnswer(
      `store-${storeId}-history.csv`,
      csv(HISTORY_COLUMNS, rows, (e) => {
        const { type, count, content } = presentEntry(e);
        return [
          e.id,
          e.date,
          e.member_no,
          displayPhone(e.phone, this.config.phones),
          type,
          count,
          content,
          e.login_id,
          e.place,
          e.balance_after,
        ];
      }),
    );
  }

  /** The store's pool and zone, its accounts brought up to now. */
  private async storeOf(storeId: number): Promise<{ poolId: number; timeZone: string }> {
    const store = await this.source.storeOf(storeId, this.config.timeZone);
    if (store === null) throw new NotFoundError(`store ${storeId} not found`);
    await this.expiry.settlePool(store.poolId);
    return store;
  }
}

/**
 * The CSV of `batches`, each row made a record by `record`. Rows are pulled only as fast as the
 * reader takes the bytes; an error reading them ends the file with that error.
 */
function csv<T>(columns: string[], batches: AsyncIterable<T[]>, record: (row: T) => unknown[]): Readable {
  async function* records() {
    for await (const batch of batches) for (const row of batch) yield record(row);
  }
  return pipeline(Readable.from(records()), stringify({ bom: true, header: true, columns }), () => {});
}
