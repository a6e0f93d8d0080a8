// The renderer's origin: the custom app:// scheme and the one host it is served under.
export const APP_SCHEME = 'app';
export const APP_HOST = 'loopgate';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** True for app://loopgate/... URLs only (not another host, not file://, not a look-alike). */
export function isAppUrl(url: unknown): boolean {
  if (typeof url !== 'string') return false;
  try {
    const u = new URL(url);
    return (
      u.protocol === `${APP_SCHEME}:` && u.host.toLowerCase() === APP_HOST && u.username === '' && u.password === ''
    );
  } catch {
    return false;
  }
}
