// The tray as plain data: state → icon name, tooltip and context-menu model (rebuilt on every state change).
export type TrayPhase = 'running' | 'stopped' | 'error';

export interface TrayState {
  phase: TrayPhase;
  /** The site's URL while the engine listens. */
  siteUrl: string | null;
  /** Why the phase is "error" (start failure, refused config edit, listen failure). */
  error: string | null;
  /** Loopgate could not start at all (no runtime): only Retry / Open config make sense. */
  failedToStart: boolean;
  configFile: string | null;
  /** The config is the app's own (user data folder), not a project's. */
  appConfig: boolean;
  profiles: string[];
  activeProfile: string | null;
  corsEnabled: boolean;
  /** WebSocket upgrades that failed in the recent window. */
  failedUpgrades: number;
  /** null where the platform has no login items. */
  launchAtLogin: boolean | null;
  /** A start/stop/switch is in progress. */
  busy: boolean;
}

export type TrayAction =
  | 'toggleRunning'
  | 'openWindow'
  | 'openSite'
  | 'copyUrl'
  | 'toggleCors'
  | 'showFailedUpgrades'
  | 'openConfig'
  | 'useAppConfig'
  | 'retry'
  | 'toggleLaunchAtLogin'
  | 'quit';

export interface TrayActions {
  run(action: TrayAction): void;
  setProfile(name: string | null): void;
}

/** A MenuItemConstructorOptions subset (assignable to Electron's). */
export interface MenuItemModel {
  id?: string;
  label?: string;
  type?: 'normal' | 'separator' | 'submenu' | 'checkbox' | 'radio';
  enabled?: boolean;
  checked?: boolean;
  toolTip?: string;
  submenu?: MenuItemModel[];
  click?: () => void;
}

/** How many minutes "recent" failed upgrades covers. */
export const FAILED_UPGRADES_WINDOW_MIN = 15;
const MAX_LABEL = 70;

function shorten(text: string, max = MAX_LABEL): string {
  const line = text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .join(' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The first line of the menu (and the tooltip): what Loopgate is doing, and where. */
export function statusLine(s: TrayState): string {
  if (s.busy && !s.siteUrl && !s.error) return 'Starting…';
  if (s.failedToStart) return `Not running — ${shorten(s.error ?? 'could not start')}`;
  if (s.siteUrl) return `Running on ${s.siteUrl}${s.error ? ' (with a problem)' : ''}`;
  if (s.error) return `Stopped — ${shorten(s.error)}`;
  return 'Stopped';
}

/** Icon base name: tray-running, tray-stopped, tray-error; macOS gets the black+alpha Template variant. */
export function trayIconName(phase: TrayPhase, platform: NodeJS.Platform): string {
  return platform === 'darwin' ? `tray-${phase}Template.png` : `tray-${phase}.png`;
}

export function trayTooltip(s: TrayState): string {
  const lines = [`Loopgate — ${statusLine(s)}`];
  if (s.error && s.siteUrl) lines.push(shorten(s.error, 120));
  if (s.failedUpgrades > 0)
    lines.push(`${s.failedUpgrades} failed WebSocket upgrade${s.failedUpgrades === 1 ? '' : 's'} recently`);
  return lines.join('\n');
}

function parentName(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts.length > 1 ? `${parts[parts.length - 2]}/${parts[parts.length - 1]}` : file;
}

/** The context menu for a state. Items carry stable ids (tests, and Electron's Menu.getMenuItemById). */
export function trayMenu(s: TrayState, actions: TrayActions): MenuItemModel[] {
  const act = (action: TrayAction) => () => actions.run(action);
  const live = !s.failedToStart && !s.busy;
  const items: MenuItemModel[] = [{ id: 'status', label: statusLine(s), enabled: false }];
  if (s.error && s.siteUrl) items.push({ id: 'problem', label: `⚠ ${shorten(s.error)}`, enabled: false });
  items.push({ type: 'separator' });
  if (s.failedToStart) {
    items.push({ id: 'retry', label: 'Retry', enabled: !s.busy, click: act('retry') });
  } else {
    items.push({
      id: 'toggleRunning',
      label: s.siteUrl ? 'Stop' : 'Start',
      enabled: live,
      click: act('toggleRunning'),
    });
  }
  items.push(
    { id: 'openWindow', label: 'Open Loopgate', click: act('openWindow') },
    { id: 'openSite', label: 'Open Site in Browser', enabled: Boolean(s.siteUrl), click: act('openSite') },
    {
      id: 'copyUrl',
      label: s.siteUrl ? `Copy ${s.siteUrl}` : 'Copy Site URL',
      enabled: Boolean(s.siteUrl),
      click: act('copyUrl'),
    },
    { type: 'separator' },
  );
  const profileItems: MenuItemModel[] = [
    {
      id: 'profile:',
      label: 'Top-level routes (no profile)',
      type: 'radio',
      checked: s.activeProfile === null,
      enabled: live,
      click: () => actions.setProfile(null),
    },
    ...s.profiles.map(
      (name): MenuItemModel => ({
        id: `profile:${name}`,
        label: name.replace(/&/g, '&&'),
        type: 'radio',
        checked: s.activeProfile === name,
        enabled: live,
        click: () => actions.setProfile(name),
      }),
    ),
  ];
  items.push(
    s.profiles.length
      ? {
          id: 'profiles',
          label: `Profile: ${s.activeProfile ?? 'none'}`,
          type: 'submenu',
          submenu: profileItems,
          enabled: !s.failedToStart,
        }
      : { id: 'profiles', label: 'Profile: none defined', enabled: false },
    {
      id: 'toggleCors',
      label: 'Global CORS',
      type: 'checkbox',
      checked: s.corsEnabled,
      enabled: live,
      click: act('toggleCors'),
    },
    {
      id: 'failedUpgrades',
      label: `Failed WebSocket upgrades (${FAILED_UPGRADES_WINDOW_MIN} min): ${s.failedUpgrades}`,
      enabled: s.failedUpgrades > 0,
      click: act('showFailedUpgrades'),
    },
    { type: 'separator' },
    {
      id: 'config',
      label: s.configFile ? `Config: ${s.appConfig ? 'app config' : parentName(s.configFile)}` : 'Config: none',
      enabled: false,
      toolTip: s.configFile ?? undefined,
    },
    { id: 'openConfig', label: 'Open Project Config…', enabled: !s.busy, click: act('openConfig') },
  );
  if (!s.appConfig)
    items.push({ id: 'useAppConfig', label: 'Use App Config', enabled: !s.busy, click: act('useAppConfig') });
  if (s.launchAtLogin !== null) {
    items.push({
      id: 'toggleLaunchAtLogin',
      label: 'Launch at Login',
      type: 'checkbox',
      checked: s.launchAtLogin,
      click: act('toggleLaunchAtLogin'),
    });
  }
  items.push({ type: 'separator' }, { id: 'quit', label: 'Quit Loopgate', click: act('quit') });
  return items;
}

/** Depth-first search by id (tests and wiring). */
export function findItem(items: MenuItemModel[], id: string): MenuItemModel | undefined {
  for (const item of items) {
    if (item.id === id) return item;
    const inner = item.submenu && findItem(item.submenu, id);
    if (inner) return inner;
  }
  return undefined;
}
