// What the remote-backend preset ("remote": true) expands to, as shared/effective.ts (fullRoute) applies it.
import type { RouteInput } from '../../shared/config.ts';
import { REMOTE_COOKIES } from '../../shared/effective.ts';

export interface PresetItem {
  /** The route field, dotted ("cookies.sameSite"). */
  key: string;
  text: string;
  /** False when the route sets the field itself: its own value is kept. */
  applies: boolean;
  /** False for what every route does by default anyway (the preset keeps it on). */
  byPreset: boolean;
}

export function remoteExpansion(route: RouteInput): PresetItem[] {
  const c = route.cookies ?? {};
  return [
    {
      key: 'changeOrigin',
      text: 'Host and TLS SNI of the target',
      applies: route.changeOrigin === undefined,
      byPreset: false,
    },
    {
      key: 'rewriteOrigin',
      text: 'Origin and Referer rewritten to the target',
      applies: route.rewriteOrigin === undefined,
      byPreset: true,
    },
    {
      key: 'cookies.domain',
      text: 'Set-Cookie Domain removed (cookies stick to localhost)',
      applies: c.domain === undefined,
      byPreset: true,
    },
    {
      key: 'cookies.secure',
      text: 'Set-Cookie Secure removed (works over http://)',
      applies: c.secure === undefined,
      byPreset: true,
    },
    {
      key: 'cookies.sameSite',
      text: `Set-Cookie SameSite=${REMOTE_COOKIES.sameSite}`,
      applies: c.sameSite === undefined,
      byPreset: true,
    },
    {
      key: 'rewriteRedirects',
      text: 'Location headers pointing at the target come back here',
      applies: route.rewriteRedirects === undefined,
      byPreset: false,
    },
  ];
}
