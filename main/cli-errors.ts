// The command line's error lines: each failure is one message that says what to do, never a stack trace.
import { NginxSyntaxError } from './config/nginx/import.ts';
import { ConfigFileError } from './config/store.ts';
import { ControlError } from './control/http-api.ts';
import { StartError } from './runtime.ts';

/** A mistake in how the command was called (its message is shown as is). */
export class UsageError extends Error {}

/** What the command was asked for, to name the right flag. */
export interface ErrorContext {
  /** --control-port as given (absent: the control server takes a free port). */
  controlPort?: number;
  help: string;
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is not a folder',
};

/** The text after "loopgate: " for any error the CLI meets; a stack only with LOOPGATE_DEBUG=1. */
export function cliErrorText(err: unknown, ctx: ErrorContext): string {
  if (
    err instanceof UsageError ||
    err instanceof StartError ||
    err instanceof ConfigFileError ||
    err instanceof NginxSyntaxError
  )
    return err.message;
  if (err instanceof ControlError) {
    if (err.code === 'WEAK_TOKEN')
      return `--token is too short: ${err.message}; pass a longer one, or leave --token out for a random token`;
    if (err.code === 'NOT_LOOPBACK') return `--control-host: ${err.message}`;
    const where = err.message.replace(/: listen E[A-Z]+.*$/, '');
    if (err.code === 'EADDRINUSE')
      return `${where}: another program uses that port; pick another with --control-port (or leave it out for a free one)`;
    if (err.code === 'EACCES') return `${where}: permission denied; pick another port with --control-port`;
    return err.message;
  }
  if (err instanceof SyntaxError) return `invalid JSON: ${err.message}`;
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  const code = e?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    if (e.syscall === 'listen' || e.port !== undefined) {
      const where = `${e.address ?? ''}${e.port !== undefined ? `:${e.port}` : ''}`;
      const control = ctx.controlPort !== undefined && ctx.controlPort !== 0 && e.port === ctx.controlPort;
      const flag = control ? '--control-port' : '--port';
      if (code === 'EADDRINUSE')
        return `cannot listen on ${where}: another program uses that port; pick another with ${flag}${control ? ' (or leave it out for a free one)' : ''}`;
      if (code === 'EACCES')
        return `cannot listen on ${where}: permission denied (ports below 1024 need root); pick another with ${flag}`;
      return `cannot listen on ${where}: no such address on this machine; check --host${control ? ' / --control-host' : ''}`;
    }
  }
  if (code && e.path && FILE_ERRORS[code]) return `cannot read ${e.path}: ${FILE_ERRORS[code]}`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return `${(err as Error).message}\n\n${ctx.help}`;
  const message = err instanceof Error ? err.message : String(err);
  return process.env.LOOPGATE_DEBUG
    ? String((err as Error)?.stack ?? message)
    : `${message} (unexpected: LOOPGATE_DEBUG=1 shows where it happened)`;
}
