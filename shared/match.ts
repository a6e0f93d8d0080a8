// nginx location and proxy_pass string rules shared by the engine, the importer and the UI (no zod: the UI bundle imports it).

/** The parts of a location string: "^~ /x" → { modifier: "^~", pattern: "/x" }. */
export function splitMatch(match: string): { modifier: '' | '=' | '^~' | '~' | '~*'; pattern: string } {
  const m = /^\s*(=|\^~|~\*|~)\s+(.+?)\s*$/.exec(match);
  if (m) return { modifier: m[1] as '=' | '^~' | '~' | '~*', pattern: m[2]! };
  return { modifier: '', pattern: match.trim() };
}

/** nginx's rule: does proxy_pass carry a URI part ("http://h:1/" does, "http://h:1" does not)? */
export function targetHasPath(target: string): boolean {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(\/[^?#]*)?/i.exec(target);
  return Boolean(m && m[1] !== undefined);
}
