// A recorder for engine tests that keeps HTTP records and lets a test wait on them (no sleeps).
import type { HttpRecord } from '../../shared/events.ts';
import type { Recorder } from '../../main/engine/types.ts';

export interface WaitingRecorder extends Recorder {
  /** The first record for `url` that `ok` accepts, once the engine has published one. */
  when(url: string, ok: (r: HttpRecord) => boolean): Promise<HttpRecord>;
  /** The finished record for `url`. */
  done(url: string): Promise<HttpRecord>;
}

export function waitingRecorder(): WaitingRecorder {
  let id = 0;
  const http = new Map<number, HttpRecord>();
  let waiters: Array<() => void> = [];
  const when = (url: string, ok: (r: HttpRecord) => boolean) =>
    new Promise<HttpRecord>((resolve) => {
      const look = () => {
        const r = [...http.values()].find((x) => x.url === url && ok(x));
        if (r) resolve(r);
        else waiters.push(look);
      };
      look();
    });
  return {
    nextId: () => ++id,
    ws() {},
    frame() {},
    http(r) {
      http.set(r.id, r);
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    },
    when,
    done: (url) => when(url, (r) => r.done),
  };
}
