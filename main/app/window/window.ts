// The one window: created on demand, shown and focused, hidden (not closed) on close until the app quits.
export interface WindowLike {
  loadURL(url: string): Promise<void>;
  show(): void;
  focus(): void;
  hide(): void;
  restore(): void;
  isMinimized(): boolean;
  isDestroyed(): boolean;
  on(event: 'close', listener: (event: { preventDefault(): void }) => void): unknown;
  on(event: 'closed', listener: () => void): unknown;
  once(event: 'ready-to-show', listener: () => void): unknown;
}

export class WindowManager<W extends WindowLike = WindowLike> {
  readonly #create: () => W;
  readonly #url: string;
  #win: W | null = null;
  #quitting = false;
  /** Called when the page fails to load (the UI not built, …): a message the user can act on. */
  onLoadError: (message: string) => void = () => {};

  constructor(create: () => W, url: string) {
    this.#create = create;
    this.#url = url;
  }

  get window(): W | null {
    return this.#win && !this.#win.isDestroyed() ? this.#win : null;
  }

  /** Show the window, creating it the first time; brings it to the front. */
  show(): W {
    const existing = this.window;
    if (existing) {
      if (existing.isMinimized()) existing.restore();
      existing.show();
      existing.focus();
      return existing;
    }
    const win = this.#create();
    this.#win = win;
    win.on('close', (event) => {
      if (this.#quitting) return;
      event.preventDefault();
      win.hide();
    });
    win.on('closed', () => {
      if (this.#win === win) this.#win = null;
    });
    win.once('ready-to-show', () => {
      win.show();
      win.focus();
    });
    win
      .loadURL(this.#url)
      .catch((err: unknown) =>
        this.onLoadError(`the window could not load ${this.#url}: ${(err as Error)?.message ?? String(err)}`),
      );
    return win;
  }

  hide(): void {
    this.window?.hide();
  }

  /** From now on closing the window really closes it (the app is quitting). */
  setQuitting(): void {
    this.#quitting = true;
  }
}
