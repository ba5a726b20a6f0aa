// Group commit (issue 19): calls that arrive while the database is busy with earlier ones wait and
// then go together, as one call of a batch function and one commit, instead of one commit each.
// Nothing waits on a timer: while fewer than `inFlight` batches run, a call goes once the requests
// read in the same turn of the event loop have reached it too (setImmediate), alone when there are
// none, so one client sees the latency of a single call; under load, each batch takes whatever
// arrived while the ones before it ran. So no call waits for more than one batch in flight. Each
// call's outcome is its own row of the batch's answer, given only once the batch has committed.
// The embedded database runs a statement without yielding to the event loop, so there no request
// is read while a batch runs: the turn's requests are all it can gather.
export interface GroupCommitOptions {
  /** Batches running at once: at most the database connections the calls may use. */
  inFlight: number;
  /** The most calls in one batch. */
  maxBatch: number;
  /** Told the size of each batch as it starts (for metrics: the ledger imports none). */
  onBatch?: (calls: number) => void;
  /** Told how many calls wait for a batch, whenever that changes. */
  onWaiting?: (calls: number) => void;
}

export class GroupCommit<Call, Outcome> {
  private readonly waiting: { call: Call; resolve: (o: Outcome) => void; reject: (e: unknown) => void }[] = [];
  private running = 0;
  private scheduled = false;

  /**
   * `run` applies the calls in one transaction and answers their outcomes in their order. When a
   * batch of several fails as a whole (a deadlock, a unique key taken by a concurrent import), each
   * of its calls runs again alone, so that only a call that fails alone gets an error.
   */
  constructor(
    private readonly run: (calls: Call[]) => Promise<Outcome[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  submit(call: Call): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ call, resolve, reject });
      this.options.onWaiting?.(this.waiting.length);
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.next();
      });
    });
  }

  private next(): void {
    if (this.running >= this.options.inFlight || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, this.options.maxBatch);
    this.options.onWaiting?.(this.waiting.length);
    this.options.onBatch?.(batch.length);
    this.running++;
    void this.apply(batch).finally(() => {
      this.running--;
      this.next();
    });
    // More waited than one batch takes: another may start while slots are free.
    this.next();
  }

  private async apply(batch: typeof this.waiting): Promise<void> {
    try {
      const outcomes = await this.run(batch.map((w) => w.call));
      batch.forEach((w, i) => w.resolve(outcomes[i]!));
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      await Promise.all(
        batch.map((w) =>
          this.run([w.call]).then(
            ([outcome]) => w.resolve(outcome!),
            (e: unknown) => w.reject(e),
          ),
        ),
      );
    }
  }
}
