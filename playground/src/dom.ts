// Small DOM and storage helpers shared by the views.
import { ModuleError } from './client';

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
}

type Child = Node | string | null | undefined | false;
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | number | undefined> = {},
  ...children: Child[]
) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key === 'class') el.className = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children)
    if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

/** Lets the browser handle input and paint before going on (work done in chunks never blocks the
 * page for long). */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

const STORE = 'luau-registry-playground.';

export function storageGet(key: string): string | null {
  try {
    return localStorage.getItem(STORE + key);
  } catch {
    return null;
  }
}

export function storageSet(key: string, value: string) {
  try {
    localStorage.setItem(STORE + key, value);
  } catch {
    /* storage full or disabled: the playground still works */
  }
}

/** Made once: a formatter made per call (toLocaleTimeString with options) costs a millisecond or
 * more, and a page of history rows formats a hundred times. */
const TIME = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const DATE = new Intl.DateTimeFormat(undefined);

export function formatTime(ms: number): string {
  const date = new Date(ms);
  const time = TIME.format(date);
  return date.toDateString() === new Date().toDateString() ? time : `${DATE.format(date)} ${time}`;
}

export function errorText(e: unknown): string {
  if (e instanceof ModuleError) return `${e.name}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Saves `content` as a file through a temporary link. */
export function download(name: string, content: string | Blob) {
  const blob =
    typeof content === 'string' ? new Blob([content], { type: 'application/json' }) : content;
  const a = h('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
