// App lifecycle rules: one instance (a second launch hands over its argv and quits), quit only after draining.
export interface SingleInstanceApp {
  requestSingleInstanceLock(): boolean;
  quit(): void;
  on(event: 'second-instance', listener: (event: unknown, argv: string[], workingDirectory: string) => void): unknown;
}

/**
 * Take the single-instance lock. Without it (another Loopgate runs) this process quits and false is
 * returned; the running one gets `onSecond(argv, cwd)` (focus the window, maybe open a config).
 */
export function singleInstance(app: SingleInstanceApp, onSecond: (argv: string[], cwd: string) => void): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', (_event, argv, cwd) => onSecond(argv, cwd));
  return true;
}

export interface QuittingApp {
  quit(): void;
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown;
  on(event: 'window-all-closed', listener: () => void): unknown;
}

/**
 * Quit waits for `drain` (Runtime.stop(): in-flight requests finish, sessions close) before the app
 * really quits; a second quit request while draining changes nothing. `onQuitting` runs first (let
 * the window close for real). Closing the last window does not quit: the tray stays.
 */
export function drainBeforeQuit(
  app: QuittingApp,
  drain: () => Promise<void>,
  onQuitting: () => void,
  log: (m: string) => void = () => {},
): void {
  let state: 'running' | 'draining' | 'drained' = 'running';
  app.on('window-all-closed', () => {
    /* stay in the tray */
  });
  app.on('before-quit', (event) => {
    if (state === 'drained') return;
    event.preventDefault();
    if (state === 'draining') return;
    state = 'draining';
    onQuitting();
    drain()
      .catch((err: unknown) => log(`loopgate: stopping failed: ${(err as Error)?.message ?? String(err)}`))
      .finally(() => {
        state = 'drained';
        app.quit();
      });
  });
}
