// Entry values in the inspector: small values as indented JSON, large ones as a collapsed tree
// whose branches are built only when opened, and long strings cut until asked for in full.
import { h } from './dom';

/** Values whose JSON is at most this long are shown whole. */
const SMALL_JSON = 4_000;
/** Longer strings show their start and a button for the rest. */
const STRING_PREVIEW = 400;

function size(chars: number): string {
  return chars >= 1_048_576
    ? `${(chars / 1_048_576).toFixed(1)} MB`
    : chars >= 1024
      ? `${(chars / 1024).toFixed(1)} KB`
      : `${chars} B`;
}

function longString(text: string): HTMLElement {
  const code = h(
    'code',
    { class: 'json-string' },
    JSON.stringify(text.slice(0, STRING_PREVIEW)).slice(0, -1) + '…',
  );
  const more = h(
    'button',
    { type: 'button', class: 'link', 'data-testid': 'show-all' },
    `Show all ${size(text.length)}`,
  );
  more.addEventListener('click', () => {
    code.textContent = JSON.stringify(text);
    more.remove();
  });
  return h('span', {}, code, ' ', more);
}

function branch(label: string, value: unknown): HTMLElement {
  const json = JSON.stringify(value) ?? 'null';
  if (typeof value === 'string' && value.length > STRING_PREVIEW)
    return h('div', { class: 'json-leaf' }, label, longString(value));
  if (json.length <= SMALL_JSON || typeof value !== 'object' || value === null) {
    return h('div', { class: 'json-leaf' }, label, h('code', {}, JSON.stringify(value, null, 2)));
  }
  const keys = Object.keys(value);
  const summary = h(
    'summary',
    {},
    label,
    h(
      'span',
      { class: 'hint' },
      `${Array.isArray(value) ? `[${keys.length} items]` : `{${keys.length} fields}`} · ${size(json.length)}`,
    ),
  );
  const details = h('details', { class: 'json-branch' }, summary);
  details.addEventListener('toggle', () => {
    if (!details.open || details.dataset.built) return;
    details.dataset.built = 'true';
    for (const key of keys)
      details.append(branch(`${key}: `, (value as Record<string, unknown>)[key]));
  });
  return details;
}

/** The view of one value (meta or data of an entry); `undefined` shows as nil. */
export function jsonView(value: unknown, testid: string): HTMLElement {
  if (value === undefined) return h('pre', { class: 'json', 'data-testid': testid }, 'nil');
  const json = JSON.stringify(value);
  if (json.length <= SMALL_JSON)
    return h('pre', { class: 'json', 'data-testid': testid }, JSON.stringify(value, null, 2));
  return h(
    'div',
    { class: 'json json-tree', 'data-testid': testid, 'data-large': 'true' },
    branch('', value),
  );
}
