// The editor's script tabs: several scripts open at once (a shared link opens in a new one), each
// with its own undo history, saved in the browser.
import { $, h, storageGet, storageSet } from './dom';
import type { ScriptEditor } from './editor';
import type { EditorState } from '@codemirror/state';

interface ScriptTab {
  name: string;
  source: string;
  /** The editor state while another tab is shown (null until the tab was first shown). */
  state: EditorState | null;
}

interface Saved {
  tabs: { name: string; source: string }[];
  active: number;
}

const bar = $('script-tabs');
let editor: ScriptEditor;
let tabs: ScriptTab[] = [];
let active = 0;
const changeListeners: ((source: string) => void)[] = [];

function load(fallback: string): Saved {
  try {
    const saved = JSON.parse(storageGet('scripts') ?? 'null') as Saved | null;
    if (
      saved &&
      Array.isArray(saved.tabs) &&
      saved.tabs.length &&
      saved.tabs.every((t) => typeof t.name === 'string' && typeof t.source === 'string')
    ) {
      return {
        tabs: saved.tabs,
        active: Math.min(Math.max(0, Number(saved.active) || 0), saved.tabs.length - 1),
      };
    }
  } catch {
    /* unreadable: start over */
  }
  // the single script of earlier versions of the page, else the welcome script
  return { tabs: [{ name: 'Script 1', source: storageGet('script') ?? fallback }], active: 0 };
}

let saveTimer: ReturnType<typeof setTimeout> | undefined;
function save() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => {
    const saved: Saved = { tabs: tabs.map(({ name, source }) => ({ name, source })), active };
    storageSet('scripts', JSON.stringify(saved));
  }, 300);
}

function render() {
  bar.replaceChildren();
  tabs.forEach((tab, i) => {
    const select = h(
      'button',
      { type: 'button', class: 'script-tab', 'aria-pressed': String(i === active), 'data-tab': i },
      tab.name,
    );
    select.addEventListener('click', () => show(i));
    const close = h(
      'button',
      {
        type: 'button',
        class: 'script-close icon',
        'aria-label': `Close ${tab.name}`,
        title: `Close ${tab.name}`,
        disabled: tabs.length === 1,
      },
      '×',
    );
    close.addEventListener('click', () => closeTab(i));
    bar.append(
      h(
        'span',
        { class: i === active ? 'script-tab-group active' : 'script-tab-group' },
        select,
        close,
      ),
    );
  });
  const add = h(
    'button',
    {
      type: 'button',
      id: 'new-script',
      class: 'icon',
      'aria-label': 'New script',
      title: 'New script',
    },
    '+',
  );
  add.addEventListener('click', () => openScript('', `Script ${tabs.length + 1}`));
  bar.append(add);
}

function show(i: number) {
  if (i === active) return;
  tabs[active].state = editor.view.state;
  tabs[active].source = editor.getSource();
  active = i;
  editor.view.setState(tabs[i].state ?? editor.newState(tabs[i].source));
  render();
  save();
  for (const listener of changeListeners) listener(tabs[i].source);
}

function closeTab(i: number) {
  if (tabs.length === 1) return;
  if (i === active) {
    tabs.splice(i, 1);
    active = Math.min(i, tabs.length - 1);
    editor.view.setState(tabs[active].state ?? editor.newState(tabs[active].source));
    for (const listener of changeListeners) listener(tabs[active].source);
  } else {
    tabs.splice(i, 1);
    if (i < active) active--;
  }
  render();
  save();
}

/** Opens `source` in a new tab named after `name` (a tab with the same text is reused). */
export function openScript(source: string, name: string) {
  tabs[active].state = editor.view.state;
  const same = tabs.findIndex(
    (t, i) => (i === active ? editor.getSource() : t.source) === source && source !== '',
  );
  if (same >= 0) return show(same);
  const taken = new Set(tabs.map((t) => t.name));
  let label = name;
  for (let n = 2; taken.has(label); n++) label = `${name} ${n}`;
  tabs.push({ name: label, source, state: null });
  show(tabs.length - 1);
  editor.view.focus();
}

/** Called with the active script's text whenever it changes (typing, or another tab shown). */
export function onScriptChange(listener: (source: string) => void) {
  changeListeners.push(listener);
}

/** The initial text of the editor: the active saved tab. */
export function initialScript(fallback: string): string {
  const saved = load(fallback);
  tabs = saved.tabs.map((t) => ({ ...t, state: null }));
  active = saved.active;
  return tabs[active].source;
}

export function initScriptTabs(scriptEditor: ScriptEditor) {
  editor = scriptEditor;
  render();
}

/** The editor's change handler: keeps the active tab's text and saves. */
export function scriptEdited(source: string) {
  tabs[active].source = source;
  save();
  for (const listener of changeListeners) listener(source);
}
