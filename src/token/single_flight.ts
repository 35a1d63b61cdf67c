/**
 * Single flight: one piece of work per key, however many callers wait for
 * it. Each caller can stop waiting with its own AbortSignal; the work itself
 * is aborted only when every caller has gone.
 *
 * @module
 */

/** Work that honours a signal. */
export type Work<T> = (signal: AbortSignal) => Promise<T>;

interface Flight<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
}

/** Runs at most one {@link Work} per key at a time. */
export class SingleFlight<T> {
  readonly #flights = new Map<string, Flight<T>>();

  /** Whether work for `key` is under way. */
  has(key: string): boolean {
    return this.#flights.has(key);
  }

  /**
   * Joins the work under way for `key`, or starts `work`. Rejects with the
   * signal's reason if `signal` aborts first (the work goes on for others).
   */
  run(key: string, work: Work<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let flight = this.#flights.get(key);
    // Work whose every caller left is being aborted: new callers get new work.
    if (!flight || flight.controller.signal.aborted) {
      const controller = new AbortController();
      const promise = Promise.resolve().then(() => work(controller.signal)).finally(() => {
        if (this.#flights.get(key) === created) this.#flights.delete(key);
      });
      const created: Flight<T> = { promise, controller, waiters: 0 };
      flight = created;
      this.#flights.set(key, flight);
    }
    return this.#wait(flight, signal);
  }

  #wait(flight: Flight<T>, signal: AbortSignal | undefined): Promise<T> {
    flight.waiters++;
    if (!signal) {
      // A caller that cannot abort keeps the work alive for good.
      return flight.promise;
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        flight.waiters--;
        if (flight.waiters === 0) flight.controller.abort(signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      flight.promise.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }
}
