// Global keyboard shortcuts: "/" search, Esc, Alt+1/2 tabs, p pause, ? help (ignored while typing).
export const SHORTCUTS: Array<[string, string]> = [
  ['/', 'Search the log (or the frames, inside a session)'],
  ['Esc', 'Leave a field; close the details'],
  ['Alt+1 / Alt+2', 'Configure / Watch'],
  ['↑ ↓ j k', 'Move in a list (PageUp/PageDown, Home/End)'],
  ['End', 'Jump to the newest and follow'],
  ['p', 'Pause or resume the log'],
  ['Alt+↑ / Alt+↓', 'Move a route up or down'],
  ['Ctrl+Enter', 'Send the composed message to the backend (Shift: to the client)'],
  ['?', 'This list'],
];

interface Actions {
  tab: (t: 'configure' | 'watch') => void;
  pause: () => void;
  help: () => void;
  escape: () => void;
}

function typing(el: Element | null): boolean {
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || (el as HTMLElement).isContentEditable;
}

export function installShortcuts(a: Actions): () => void {
  const onKey = (e: KeyboardEvent) => {
    if (e.altKey && (e.key === '1' || e.key === '2')) {
      e.preventDefault();
      a.tab(e.key === '1' ? 'configure' : 'watch');
      return;
    }
    const active = document.activeElement;
    if (e.key === 'Escape') {
      if (typing(active)) (active as HTMLElement).blur();
      else window.dispatchEvent(new CustomEvent('loopgate:escape'));
      a.escape();
      return;
    }
    if (typing(active) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === '/') {
      e.preventDefault();
      const inSession = Boolean(active?.closest('.session'));
      window.dispatchEvent(new CustomEvent('loopgate:focus-search', { detail: inSession ? 'frames' : 'log' }));
    } else if (e.key === 'p') {
      a.pause();
    } else if (e.key === '?') {
      a.help();
    }
  };
  window.addEventListener('keydown', onKey);
  return () => window.removeEventListener('keydown', onKey);
}
