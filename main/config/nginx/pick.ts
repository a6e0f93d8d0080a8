// Which imported server block `serve --nginx` runs when the file has several, and the line that says so.
import type { ConfigInput } from '../../../shared/config.ts';

export interface Site {
  name: string;
  config: ConfigInput;
}

export interface Picked {
  site: Site;
  /** What the command line prints (undefined when the file has one server block and no choice was asked). */
  note?: string;
}

/** A site that answers something itself: routes, files or file locations (not only a `return` redirect). */
const serves = (c: ConfigInput) => Boolean(c.routes?.length || c.root || c.locations?.length);

const describe = (s: Site) =>
  s.config.listen?.port !== undefined ? `${s.name} on port ${s.config.listen.port}` : s.name;

/**
 * `choice`: a listen port ("8080") or a server_name. Without one: the first block that serves
 * something (a redirect-only block such as the usual HTTP→HTTPS one is passed over), else the first.
 * Throws an Error naming the blocks when the choice matches none.
 */
export function pickSite(sites: Site[], file: string, choice?: string): Picked {
  if (sites.length === 0) throw new Error(`${file} has no server block`);
  const list = sites.map((s) => `  ${describe(s)}`).join('\n');
  if (choice !== undefined) {
    const port = /^\d+$/.test(choice) ? Number(choice) : undefined;
    const wanted = choice.toLowerCase();
    const site =
      port !== undefined
        ? sites.find((s) => s.config.listen?.port === port)
        : sites.find(
            (s) => s.name.toLowerCase() === wanted || s.config.allowedHosts?.some((h) => h.toLowerCase() === wanted),
          );
    if (!site) {
      throw new Error(
        `--server ${choice}: no server block of ${file} ${port !== undefined ? 'listens on that port' : 'has that server_name'}; it has:\n${list}`,
      );
    }
    return { site, note: sites.length > 1 ? `serving ${describe(site)} (--server ${choice})` : undefined };
  }
  if (sites.length === 1) return { site: sites[0]! };
  const site = sites.find((s) => serves(s.config)) ?? sites[0]!;
  const why = site === sites[0] ? 'the first' : 'the first that serves routes or files';
  return {
    site,
    note: `${file} has ${sites.length} server blocks; serving ${why}: ${describe(site)}. Pick another with --server PORT or --server NAME:\n${list}`,
  };
}
