// Lets a service tell this process's webhook worker that a change which may have queued an event
// has committed, so the event goes out at once instead of at the worker's next poll. Other
// processes' workers find it by polling.
export class WebhookNudge {
  private listener: (() => void) | null = null;

  /** The worker's; returns how to stop listening. */
  listen(fn: () => void): () => void {
    this.listener = fn;
    return () => {
      if (this.listener === fn) this.listener = null;
    };
  }

  ring(): void {
    this.listener?.();
  }
}
