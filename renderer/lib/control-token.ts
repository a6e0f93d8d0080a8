// The control token in browser mode: taken from the control URL once, kept in this tab's sessionStorage, never in a cookie.
import { TOKEN_QUERY } from '../../shared/api.ts';

const KEY = 'loopgate.token';

/**
 * The token for the HTTP bridge. The control URL loopgate prints carries it (`#token=…`, or `?token=…`
 * as before); it is kept in sessionStorage, which belongs to this origin (the control server's port),
 * so the site Loopgate serves on another port can neither read nor spoil it (a cookie could be both:
 * cookies ignore ports). The token is taken out of the address bar at once. Re-opening the control URL
 * always wins over what was kept, so it is the way back in after a restart with a new token.
 */
export function takeControlToken(): string | undefined {
  const url = new URL(location.href);
  const hash = new URLSearchParams(url.hash.slice(1));
  const fromUrl = hash.get(TOKEN_QUERY) ?? url.searchParams.get(TOKEN_QUERY);
  if (fromUrl !== null) {
    hash.delete(TOKEN_QUERY);
    url.searchParams.delete(TOKEN_QUERY);
    const rest = hash.toString();
    url.hash = rest ? `#${rest}` : '';
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  }
  try {
    if (fromUrl) sessionStorage.setItem(KEY, fromUrl);
    return fromUrl || sessionStorage.getItem(KEY) || undefined;
  } catch {
    // Storage refused (a locked-down profile): the token still works for this page's life.
    return fromUrl || undefined;
  }
}
