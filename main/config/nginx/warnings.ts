// Import warnings (file, line, directive, message) and what to say about directives Loopgate does not need.

export interface ImportWarning {
  file: string;
  line: number;
  directive: string;
  message: string;
}

interface Placed {
  name: string;
  file: string;
  line: number;
}

/** Collects warnings once each, in the order they were found. */
export class Warnings {
  readonly list: ImportWarning[] = [];
  private readonly seen = new Set<string>();

  at(d: Placed, message: string): void {
    const key = `${d.file}:${d.line}:${d.name}:${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ file: d.file, line: d.line, directive: d.name, message });
  }
}

const NOT_NEEDED_STREAMS = 'not needed: Loopgate streams';
const LOGS = 'not needed: Loopgate logs every request, WebSocket session and frame in its session log';
const TLS = 'TLS is not terminated by Loopgate: it serves plain HTTP on your machine';
const PROCESS = 'process/server tuning: not needed by Loopgate';
const ACCESS = 'access control is not supported: Loopgate only serves your own machine';
const CACHE = 'Loopgate does not cache: responses pass through as the backend sends them';
const GZIP = 'compression is not supported: Loopgate passes bodies through as the backend sends them';
const STATIC_HEADERS = 'caching headers for static files are not configurable in Loopgate';

const EXACT: Record<string, string> = {
  proxy_buffering: NOT_NEEDED_STREAMS,
  proxy_request_buffering: NOT_NEEDED_STREAMS,
  proxy_buffers: NOT_NEEDED_STREAMS,
  proxy_buffer_size: NOT_NEEDED_STREAMS,
  proxy_busy_buffers_size: NOT_NEEDED_STREAMS,
  proxy_max_temp_file_size: NOT_NEEDED_STREAMS,
  proxy_temp_file_write_size: NOT_NEEDED_STREAMS,
  proxy_temp_path: NOT_NEEDED_STREAMS,
  client_body_buffer_size: NOT_NEEDED_STREAMS,
  client_header_buffer_size: NOT_NEEDED_STREAMS,
  large_client_header_buffers: NOT_NEEDED_STREAMS,
  client_body_temp_path: NOT_NEEDED_STREAMS,
  output_buffers: NOT_NEEDED_STREAMS,
  postpone_output: NOT_NEEDED_STREAMS,
  chunked_transfer_encoding: NOT_NEEDED_STREAMS,
  access_log: LOGS,
  error_log: LOGS,
  log_format: LOGS,
  log_not_found: LOGS,
  rewrite_log: LOGS,
  open_log_file_cache: LOGS,
  http2: TLS,
  expires: STATIC_HEADERS,
  etag: STATIC_HEADERS,
  if_modified_since: STATIC_HEADERS,
  add_trailer: 'response trailers are not supported',
  allow: ACCESS,
  deny: ACCESS,
  satisfy: ACCESS,
  auth_request: ACCESS,
  valid_referers: ACCESS,
  limit_except: ACCESS,
  proxy_no_cache: CACHE,
  proxy_cache_bypass: CACHE,
  proxy_next_upstream: 'one backend per route: retries to other servers are not supported',
  proxy_next_upstream_tries: 'one backend per route: retries to other servers are not supported',
  proxy_next_upstream_timeout: 'one backend per route: retries to other servers are not supported',
  proxy_socket_keepalive: 'not needed: Loopgate manages its upstream connections',
  keepalive: 'not needed: Loopgate keeps upstream connections alive by itself',
  keepalive_timeout: PROCESS,
  keepalive_requests: PROCESS,
  keepalive_time: PROCESS,
  sendfile: PROCESS,
  tcp_nopush: PROCESS,
  tcp_nodelay: PROCESS,
  types_hash_max_size: PROCESS,
  types_hash_bucket_size: PROCESS,
  server_names_hash_bucket_size: PROCESS,
  server_names_hash_max_size: PROCESS,
  map_hash_bucket_size: PROCESS,
  server_tokens: PROCESS,
  reset_timedout_connection: PROCESS,
  client_header_timeout: PROCESS,
  resolver: PROCESS,
  resolver_timeout: PROCESS,
  aio: PROCESS,
  directio: PROCESS,
  user: PROCESS,
  pid: PROCESS,
  daemon: PROCESS,
  master_process: PROCESS,
  events: PROCESS,
  include: PROCESS,
  types: 'MIME types are built into Loopgate',
  default_type: 'MIME types are built into Loopgate',
  set: 'variables are not supported (nginx rewrite module)',
  rewrite:
    'rewrite is not supported here: only "rewrite regex /uri break;" in a proxied location runs (a target with a path changes a prefix)',
  return: 'return is not supported',
  if: 'if is not supported (only the CORS preflight `if ($request_method = OPTIONS)` is understood)',
  alias:
    'this alias is not supported (a variable or capture, nested locations or if): Loopgate serves no files from it',
  real_ip_header: 'not needed: Loopgate sees the real client address',
  set_real_ip_from: 'not needed: Loopgate sees the real client address',
  proxy_ignore_headers: 'not supported: Loopgate passes response headers through',
  proxy_pass_header: 'not supported: Loopgate passes response headers through',
  proxy_intercept_errors: 'not supported: backend error pages pass through',
  error_page: 'custom error pages are not supported',
  proxy_method: 'not supported: requests keep their method',
  proxy_pass_request_headers: 'not supported: request headers are always passed',
  proxy_pass_request_body: 'not supported: request bodies are always passed',
  proxy_set_body: 'not supported: request bodies are always passed',
  sub_filter: 'response body rewriting is not supported',
  sub_filter_once: 'response body rewriting is not supported',
  sub_filter_types: 'response body rewriting is not supported',
  server_name_in_redirect: 'not needed',
  port_in_redirect: 'not needed',
  absolute_redirect: 'not needed',
  merge_slashes: 'not supported: Loopgate keeps the path as sent',
  ignore_invalid_headers: 'not supported',
  underscores_in_headers: 'not supported: Loopgate accepts header names with underscores',
  disable_symlinks: 'not supported',
  internal: 'internal locations are not supported',
};

/** What to say about a directive Loopgate does not use. */
export function unsupportedMessage(name: string): string {
  const exact = EXACT[name];
  if (exact) return exact;
  if (name.startsWith('ssl_') || name.startsWith('proxy_ssl_')) return TLS;
  if (name.startsWith('gzip') || name.startsWith('brotli')) return GZIP;
  if (name.startsWith('proxy_cache') || name.startsWith('open_file_cache') || name.startsWith('fastcgi_cache'))
    return CACHE;
  if (
    name.startsWith('auth_basic') ||
    name.startsWith('limit_req') ||
    name.startsWith('limit_conn') ||
    name.startsWith('limit_rate')
  )
    return ACCESS;
  if (name.startsWith('worker_') || name.startsWith('accept_') || name === 'multi_accept' || name === 'use')
    return PROCESS;
  if (/^(fastcgi|uwsgi|scgi|grpc|memcached)_/.test(name))
    return `${name.split('_')[0]} backends are not supported: Loopgate proxies HTTP and WebSocket`;
  if (name.startsWith('proxy_')) return 'not supported by Loopgate: ignored';
  return 'not supported by Loopgate: ignored';
}
