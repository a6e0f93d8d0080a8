// The loopgate.json schema: what users write by hand, validated, with nginx units normalized.
import { z } from 'zod';
import { type Issue, issueErrors } from './config-errors.ts';
import { splitMatch, targetHasPath } from './match.ts';
import { regexHazard } from './regex-safety.ts';
import { APP_PROTOCOLS } from './events.ts';
import { parseDuration, parseExpires, parseSize } from './units.ts';

// Moved to the zod-free match.ts (the UI imports it from there); re-exported so every importer keeps working.
export { splitMatch, targetHasPath } from './match.ts';

const size = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const bytes = parseSize(v);
  if (bytes === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${v}" is not a size: use bytes or nginx units like "512k", "15m", "1g"`,
    });
    return z.NEVER;
  }
  return bytes;
});

const duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${v}" is not a time: use seconds (90) or nginx units like "90s", "500ms", "2m"`,
    });
    return z.NEVER;
  }
  return ms;
});

/** RFC 9110 token characters: header names, methods, charset names. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_NAME_RULE = "is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only)";
const headerName = z.string().regex(TOKEN, HEADER_NAME_RULE.replace('is not', 'not'));

/**
 * Why a configured header value cannot go on the wire, or null. Never a line break, NUL or other
 * control character (it would end the header and start another: response splitting, request
 * smuggling). Request headers (setHeaders) may hold any Unicode: they are sent as their UTF-8 bytes,
 * as nginx sends its config's. Response headers (`ascii`: addHeaders, cookie rewrites, types) must
 * be ASCII, since Node cannot send other bytes the same way in every answer.
 */
export function headerValueProblem(value: string, ascii = false): string | null {
  const bad = ascii ? /[^\t\x20-\x7e]/u : /[\x00-\x08\x0a-\x1f\x7f]|\p{Cs}/u;
  const m = bad.exec(value);
  if (!m) return null;
  const code = m[0].codePointAt(0)!;
  const at = `U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${m.index}`;
  if (code === 0x0d || code === 0x0a) return `a line break (${at}) cannot be part of a header value`;
  if (code < 0x20 || code === 0x7f) return `a control character (${at}) cannot be part of a header value`;
  if (code >= 0xd800 && code <= 0xdfff) return `a lone surrogate (${at}) is not text`;
  return `response header values must be ASCII (${at}): nginx sends the UTF-8 bytes, Loopgate cannot in every answer`;
}

const headerValue = (ascii: boolean) =>
  z.string().superRefine((v, ctx) => {
    const problem = headerValueProblem(v, ascii);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });
/** { name: value } with each name checked here, so a bad one is named in the error (zod's own says "Invalid key"). */
const headerRecord = (ascii: boolean) =>
  z.record(z.string(), headerValue(ascii)).superRefine((map, ctx) => {
    for (const name of Object.keys(map)) {
      if (!TOKEN.test(name))
        ctx.addIssue({ code: 'custom', path: [name], message: `"${name.slice(0, 60)}" ${HEADER_NAME_RULE}` });
    }
  });
const headerMap = headerRecord(false);
const responseHeaderMap = headerRecord(true);

export const TimeoutsSchema = z.strictObject({
  /** nginx proxy_connect_timeout: how long to wait for the backend to accept the connection. */
  connect: duration.optional(),
  /** nginx proxy_send_timeout: longest pause between two writes to the backend. */
  send: duration.optional(),
  /** nginx proxy_read_timeout: longest pause between two reads from the backend (idle WebSockets too). */
  read: duration.optional(),
  /** nginx client_body_timeout: longest pause between two reads of the request body from the client. */
  clientBody: duration.optional(),
  /** nginx send_timeout: longest time the client may take no bytes of the answer while it has some waiting. */
  clientSend: duration.optional(),
});

const originList = z.union([z.literal('*'), z.literal('reflect'), z.array(z.string().min(1))]);

export const CorsSchema = z.strictObject({
  enabled: z.boolean().optional(),
  /** "*", "reflect" (echo the request's Origin), or a list of allowed origins. */
  origins: originList.optional(),
  credentials: z.boolean().optional(),
  methods: z.array(z.string().regex(TOKEN, 'not an HTTP method: one method per entry, like "GET"')).optional(),
  /** Allowed request headers, or "reflect" to echo Access-Control-Request-Headers. */
  headers: z.union([z.literal('reflect'), z.array(headerName)]).optional(),
  exposeHeaders: z.array(headerName).optional(),
  maxAge: duration.optional(),
  /** "local": Loopgate answers OPTIONS preflights; "forward": the backend does. */
  preflight: z.enum(['local', 'forward']).optional(),
  /** Answer Private Network Access preflights (Access-Control-Allow-Private-Network). */
  privateNetwork: z.boolean().optional(),
  /** What to do with the backend's own CORS headers: "replace" with ours, or "keep" theirs. */
  backendHeaders: z.enum(['replace', 'keep']).optional(),
});

export const CookieRewriteSchema = z.strictObject({
  /** Domain attribute: "remove" drops it, any other string replaces it, omitted keeps it. */
  domain: headerValue(true).optional(),
  /** Path attribute: { from: to } prefix rewrites (nginx proxy_cookie_path). */
  path: z.record(z.string(), headerValue(true)).optional(),
  secure: z.enum(['keep', 'remove', 'add']).optional(),
  sameSite: z.enum(['keep', 'remove', 'Lax', 'Strict', 'None']).optional(),
  httpOnly: z.enum(['keep', 'remove', 'add']).optional(),
});

export const ForwardedSchema = z.strictObject({
  realIp: z.boolean().optional(),
  forwardedFor: z.boolean().optional(),
  forwardedProto: z.boolean().optional(),
  forwardedHost: z.boolean().optional(),
});

/** Network conditions on a route's answers (and a global default): latency, jitter, failures by rule. */
export const ConditionsSchema = z.strictObject({
  /** Added before the answer's first byte ("300ms"). */
  latency: duration.optional(),
  /** Up to this much more latency, random per request ("100ms"). */
  jitter: duration.optional(),
  /** Share of requests answered 502 "failed by rule" without calling the backend: 0 to 1. */
  failRate: z
    .number()
    .min(0, 'failRate is a share from 0 to 1 (0.1 fails one request in ten)')
    .max(1, 'failRate is a share from 0 to 1 (0.1 fails one request in ten)')
    .optional(),
});

/** A mock answer: the route answers locally and the backend is not called. */
export const RespondSchema = z
  .strictObject({
    status: z.number().int().min(200, 'a status from 200 to 599').max(599, 'a status from 200 to 599').optional(),
    headers: responseHeaderMap.optional(),
    /** Text is sent as is (text/plain); any other JSON value is sent as application/json. */
    body: z.json().optional(),
    /** A file's bytes as the body (relative to the config file's folder), its type from its extension. */
    file: z.string().min(1, 'file is empty: a path relative to loopgate.json').optional(),
  })
  .superRefine((r, ctx) => {
    if (r.body !== undefined && r.file !== undefined)
      ctx.addIssue({ code: 'custom', path: ['file'], message: 'give either body or file, not both' });
  });

export const RouteSchema = z.strictObject({
  /** Optional label shown in the log. */
  name: z.string().optional(),
  /** nginx location: "/api", "= /x", "^~ /x", "~ regex", "~* regex". */
  match: z.string().min(1, 'match is empty: use "/api", "= /x", "^~ /x", "~ regex" or "~* regex"'),
  /** nginx proxy_pass: with a path it replaces the matched prefix; without one the URI passes unchanged. */
  target: z.string().min(1),
  /** nginx `rewrite regex replacement break` in the location: the first that matches sets the URI sent upstream. */
  rewrite: z
    .array(
      z.strictObject({
        regex: z.string().refine((v) => {
          try {
            new RegExp(v);
            return true;
          } catch {
            return false;
          }
        }, 'not a valid regular expression'),
        replacement: z.string().regex(/^\//, 'the new URI starts with "/"'),
      }),
    )
    .optional(),
  /** More backends ("host:port") taking requests in turn with the target's (an nginx upstream's servers, round robin). */
  servers: z
    .array(z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'write a backend as host:port'))
    .optional(),
  enabled: z.boolean().optional(),
  /** Proxy WebSocket upgrades on this route. */
  ws: z.boolean().optional(),
  /** One switch for pointing a local build at a remote backend (see README). */
  remote: z.boolean().optional(),
  /** Send Host (and TLS SNI) of the target instead of the client's Host. */
  changeOrigin: z.boolean().optional(),
  /** Verify the backend's TLS certificate; off for self-signed backends. */
  secure: z.boolean().optional(),
  /** Rewrite Origin (and Referer) to the target's origin. */
  rewriteOrigin: z.boolean().optional(),
  /** Request headers to set (nginx proxy_set_header); an empty string removes the header. */
  setHeaders: headerMap.optional(),
  removeHeaders: z.array(headerName).optional(),
  forwarded: ForwardedSchema.optional(),
  /** Response headers added on every status (nginx add_header ... always). */
  addHeaders: responseHeaderMap.optional(),
  /** Rewrite Location/Refresh pointing at the target back to the local origin. */
  rewriteRedirects: z.boolean().optional(),
  cookies: CookieRewriteSchema.optional(),
  timeouts: TimeoutsSchema.optional(),
  maxBodySize: size.optional(),
  /** Send WebSocket pings to both peers at this interval so idle tunnels survive the read timeout. */
  keepAlivePing: duration.optional(),
  cors: CorsSchema.optional(),
  /** Read this route's WebSocket frames as this protocol ("auto": detect; "none": raw). */
  protocol: z
    .enum(['auto', 'none', ...APP_PROTOCOLS])
    .optional() /** Answer locally with this (a mock); the backend is not called. HTTP only for now. */,
  respond: RespondSchema.optional(),
  /** Latency, jitter and failures on this route's HTTP answers, field by field over the global conditions. */
  conditions: ConditionsSchema.optional(),
});

/** An nginx location that serves files (no proxy_pass): its own root or alias, try_files, expires, headers, return. */
export const FileLocationSchema = z.strictObject({
  /** nginx location: "/static/", "= /x", "^~ /x", "~ regex", "~* regex". */
  match: z.string().min(1),
  /** Folder the URI is appended to (nginx root); omitted: the site's root. */
  root: z.string().min(1).optional(),
  /** Folder that replaces the matched prefix (nginx alias; prefix locations only). */
  alias: z.string().min(1).optional(),
  index: z.array(z.string().min(1)).optional(),
  tryFiles: z
    .array(z.string().regex(/^(\$uri|\/)\S*$|^=\d{3}$|^@\S+$/))
    .min(2)
    .optional(),
  expires: z
    .string()
    .refine((v) => parseExpires(v) !== undefined, 'use "off", "epoch", "max" or a time like "1y", "30d", "-1"')
    .optional(),
  /** Response headers of this location's answers (nginx add_header), every status. */
  addHeaders: responseHeaderMap.optional(),
  /** nginx return: a status, with a body text (or a redirect URL for 301/302/303/307/308). */
  return: z.strictObject({ status: z.number().int().min(200).max(599), text: z.string().optional() }).optional(),
});

export const ListenSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
});

export const InspectSchema = z.strictObject({
  /** Bytes of each HTTP body kept in the log. */
  bodyBytes: size.optional(),
  /** Memory cap of the session log (requests, sessions, frames). */
  storeBytes: size.optional(),
  /** Bytes of each WebSocket payload kept (the rest is counted, flagged as truncated). */
  frameBytes: size.optional(),
  /** Record WebSocket frames at all. */
  frames: z.boolean().optional(),
});

export const ProfileSchema = z.strictObject({
  routes: z.array(RouteSchema),
});

export const ConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  listen: ListenSchema.optional(),
  /** Folder with the built SPA (nginx root); null or omitted serves no files. */
  root: z.string().nullable().optional(),
  index: z.array(z.string().min(1)).optional(),
  /** SPA history fallback (try_files $uri $uri/ /index.html). */
  spa: z.boolean().optional(),
  autoindex: z.boolean().optional(),
  /** nginx charset: added to text types; "off" adds none (nginx's default). */
  charset: z.string().regex(TOKEN, 'not a charset name (like "utf-8")').optional(),
  /** nginx gzip_static: serve a file's precompressed .gz sibling to clients that accept gzip. */
  gzipStatic: z.boolean().optional(),
  /** nginx brotli_static (ngx_brotli): serve a file's precompressed .br sibling to clients that accept br. */
  brotliStatic: z.boolean().optional(),
  /** nginx expires for static files: "off", a time ("1y", "30d", "-1"), "epoch" or "max"; unset: HTML gets no-cache. */
  expires: z
    .string()
    .refine((v) => parseExpires(v) !== undefined, 'use "off", "epoch", "max" or a time like "1y", "30d", "-1"')
    .optional(),
  /**
   * nginx try_files as written: probes ("$uri", "$uri/", "/x.html") then a fallback URI or "=404". When
   * set it decides alone (`spa` is not used): missing assets get the fallback too, as in nginx.
   */
  tryFiles: z
    .array(
      z
        .string()
        .regex(/^(\$uri|\/)[^\s]*$|^=\d{3}$|^@\S+$/, 'use "$uri", "$uri/", a path like "/index.html", or "=404"'),
    )
    .min(2, 'try_files needs at least one probe and a fallback')
    .optional(),
  /** nginx gzip for static files: compress on the fly (gzip_types beyond text/html, gzip_min_length, gzip_vary). */
  gzip: z
    .strictObject({
      types: z.array(z.string().min(1)).optional(),
      minLength: size.optional(),
      vary: z.boolean().optional(),
    })
    .optional(),
  /** Response headers on the static site's answers (nginx add_header in location / or the server), every status. */
  addHeaders: responseHeaderMap.optional(),
  /** nginx types: file extension → media type, over Loopgate's built-in table. */
  types: z
    .record(
      z.string().regex(/^[A-Za-z0-9_+.-]+$/, 'an extension without the dot'),
      headerValue(true).pipe(z.string().min(1)),
    )
    .optional(),
  /** nginx client_max_body_size; 0 turns the check off. */
  maxBodySize: size.optional(),
  timeouts: TimeoutsSchema.optional(),
  cors: CorsSchema.optional(),
  /** Network conditions for every route's HTTP answers (a route's own fields win). */
  conditions: ConditionsSchema.optional(),
  /** Host names accepted besides localhost, 127.0.0.1 and [::1] (DNS-rebinding guard). */
  allowedHosts: z.array(z.string().min(1)).optional(),
  inspect: InspectSchema.optional(),
  routes: z.array(RouteSchema).optional(),
  /** Locations that serve files, matched together with routes in nginx's location order. */
  locations: z.array(FileLocationSchema).optional(),
  profiles: z.record(z.string().min(1), ProfileSchema).optional(),
  activeProfile: z.string().optional(),
});

/** What users write (units as strings, everything optional). */
export type ConfigInput = z.input<typeof ConfigSchema>;
export type RouteInput = z.input<typeof RouteSchema>;
export type CorsInput = z.input<typeof CorsSchema>;
/** Validated, with sizes in bytes and times in milliseconds. */
export type Config = z.output<typeof ConfigSchema>;
export type RouteConfig = z.output<typeof RouteSchema>;
export type CorsConfig = z.output<typeof CorsSchema>;
export type CookieRewrite = z.output<typeof CookieRewriteSchema>;
export type FileLocation = z.output<typeof FileLocationSchema>;
export type ConditionsConfig = z.output<typeof ConditionsSchema>;
export type RespondConfig = z.output<typeof RespondSchema>;

export interface ConfigError {
  /** Dotted path of the field, e.g. "routes.0.target". */
  path: string;
  message: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };

/** Validate a parsed loopgate.json (structure and every field, cross-field rules included). */
export function validateConfig(input: unknown): ConfigResult {
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    const errors = issueErrors(parsed.error.issues as Issue[], input, ConfigSchema);
    // Report route problems too, so one pass over the file shows every error (not one at a time).
    const routes = (input as { routes?: unknown } | null)?.routes;
    if (Array.isArray(routes)) {
      routes.forEach((r, i) => {
        const one = RouteSchema.safeParse(r);
        if (!one.success) return;
        for (const e of checkRoute(one.data)) {
          const path = `routes.${i}.${e.path}`;
          if (!errors.some((x) => x.path === path)) errors.push({ path, message: e.message });
        }
      });
    }
    return { ok: false, errors };
  }
  const errors = crossCheck(parsed.data);
  return errors.length ? { ok: false, errors } : { ok: true, config: parsed.data };
}

function crossCheck(config: Config): ConfigError[] {
  const errors: ConfigError[] = [];
  if (config.activeProfile !== undefined && !Object.hasOwn(config.profiles ?? {}, config.activeProfile)) {
    errors.push({ path: 'activeProfile', message: `no profile named "${config.activeProfile}" in profiles` });
  }
  const check = (routes: RouteConfig[], base: string) =>
    routes.forEach((r, i) =>
      errors.push(...checkRoute(r).map((e) => ({ path: `${base}.${i}.${e.path}`, message: e.message }))),
    );
  check(config.routes ?? [], 'routes');
  for (const [name, p] of Object.entries(config.profiles ?? {})) check(p.routes, `profiles.${name}.routes`);
  return errors;
}

export function checkRoute(r: RouteConfig): ConfigError[] {
  const errors: ConfigError[] = [];
  const { modifier, pattern } = splitMatch(r.match);
  if (modifier === '~' || modifier === '~*') {
    try {
      new RegExp(pattern, modifier === '~*' ? 'i' : '');
      // Every request's path is matched against it: a pattern that can backtrack for minutes would stall the proxy.
      const hazard = regexHazard(pattern, modifier === '~*' ? 'i' : '');
      if (hazard) {
        errors.push({
          path: 'match',
          message: `regular expression refused, a long request path could stall the proxy: ${hazard.reason}; rewrite it without the repetition (e.g. "(a+)+" as "a+")`,
        });
      }
    } catch (e) {
      errors.push({ path: 'match', message: `invalid regular expression: ${(e as Error).message}` });
    }
  } else if (!pattern.startsWith('/')) {
    errors.push({
      path: 'match',
      message: `"${r.match}" must start with "/" (or be "= /x", "^~ /x", "~ regex", "~* regex")`,
    });
  }
  let url: URL | undefined;
  try {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(r.target)) throw new Error('no scheme');
    url = new URL(r.target);
  } catch {
    errors.push({ path: 'target', message: `"${r.target}" is not a URL: write it like http://localhost:8888/api` });
  }
  if (url) {
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
      errors.push({ path: 'target', message: `unsupported scheme "${url.protocol}" (use http or https)` });
    }
    if (url.search || url.hash)
      errors.push({ path: 'target', message: 'target may not have a query string or fragment' });
    const hasPath = targetHasPath(r.target);
    if (hasPath && (modifier === '~' || modifier === '~*')) {
      errors.push({
        path: 'target',
        message:
          'a regex route cannot have a path in its target (nginx: "proxy_pass cannot have URI part in location given by regular expression")',
      });
    }
  }
  return errors;
}

/** Format config errors one per line, as the CLI prints them. */
export function formatConfigErrors(errors: ConfigError[]): string {
  return errors.map((e) => `  ${e.path}: ${e.message}`).join('\n');
}
