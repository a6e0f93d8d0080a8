// The live event stream: log batches as JSON arrays to each WebSocket client, dropping batches for slow readers.
import type { WebSocket } from 'ws';
import { EVENTS_HIGH_WATER, type OverflowMarker, type StreamEvent } from '../../shared/api.ts';

export interface EventSource {
  subscribe(listener: (batch: StreamEvent[]) => void): () => void;
}

interface Client {
  ws: WebSocket;
  /** Batches dropped since the last overflow marker. */
  dropped: number;
  timer: NodeJS.Timeout | null;
}

export interface EventsHubOptions {
  /** Drop batches for a client whose socket buffers more than this (bytes). */
  highWater?: number;
  /** Resume (with an overflow marker) once it is down to this. */
  lowWater?: number;
  /** How often a lagging client's buffer is looked at (ms). */
  checkMs?: number;
}

/**
 * One log subscription shared by every client (taken with the first, dropped with the last): each
 * batch is serialized once. A client buffering more than the high water mark misses batches; when
 * it has drained, it gets `[{"type":"overflow","dropped":n}]` and should refetch what it shows.
 */
export class EventsHub {
  readonly #source: EventSource;
  readonly #clients = new Set<Client>();
  readonly #high: number;
  readonly #low: number;
  readonly #checkMs: number;
  #unsubscribe: (() => void) | null = null;

  constructor(source: EventSource, opts: EventsHubOptions = {}) {
    this.#source = source;
    this.#high = opts.highWater ?? EVENTS_HIGH_WATER;
    this.#low = opts.lowWater ?? Math.floor(this.#high / 4);
    this.#checkMs = opts.checkMs ?? 25;
  }

  get size(): number {
    return this.#clients.size;
  }

  add(ws: WebSocket): void {
    const client: Client = { ws, dropped: 0, timer: null };
    this.#clients.add(client);
    ws.on('close', () => this.#remove(client));
    ws.on('error', () => ws.terminate());
    // Clients only listen; anything they send is ignored.
    ws.on('message', () => {});
    this.#unsubscribe ??= this.#source.subscribe((batch) => this.#broadcast(batch));
  }

  close(): void {
    for (const c of [...this.#clients]) {
      c.ws.close(1001, 'Loopgate control server stopping');
      this.#remove(c);
    }
  }

  #broadcast(batch: StreamEvent[]): void {
    const text = JSON.stringify(batch);
    for (const c of this.#clients) {
      if (c.ws.readyState !== c.ws.OPEN) continue;
      if (c.dropped > 0) {
        c.dropped++;
        continue;
      }
      if (c.ws.bufferedAmount > this.#high) {
        c.dropped = 1;
        this.#watch(c);
        continue;
      }
      c.ws.send(text);
    }
  }

  /** Poll a lagging client's buffer; once drained, tell it how much it missed. */
  #watch(c: Client): void {
    c.timer = setInterval(() => {
      if (c.ws.readyState !== c.ws.OPEN) return this.#remove(c);
      if (c.ws.bufferedAmount > this.#low) return;
      clearInterval(c.timer!);
      c.timer = null;
      const marker: OverflowMarker = { type: 'overflow', dropped: c.dropped };
      c.dropped = 0;
      c.ws.send(JSON.stringify([marker]));
    }, this.#checkMs);
    c.timer.unref();
  }

  #remove(c: Client): void {
    if (c.timer) clearInterval(c.timer);
    c.timer = null;
    if (!this.#clients.delete(c)) return;
    if (this.#clients.size === 0 && this.#unsubscribe) {
      this.#unsubscribe();
      this.#unsubscribe = null;
    }
  }
}
