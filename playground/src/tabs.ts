// The inspector's tabs (Entries, History, Diff), with arrow-key movement between them.
import { $ } from './dom';
import { renderDiff } from './diff-view';
import { state, type Tab } from './state';

const TABS: readonly Tab[] = ['entries', 'history', 'diff'];

export function selectTab(name: Tab, focus = false) {
  state.activeTab = name;
  for (const tab of TABS) {
    const button = $(`tab-${tab}`);
    const on = tab === name;
    button.setAttribute('aria-selected', String(on));
    button.tabIndex = on ? 0 : -1;
    $(`panel-${tab}`).hidden = !on;
    if (on && focus) button.focus();
  }
  if (name === 'diff') void renderDiff();
}

export function initTabs() {
  for (const tab of TABS) {
    const button = $(`tab-${tab}`);
    button.addEventListener('click', () => selectTab(tab));
    button.addEventListener('keydown', (e) => {
      const i = TABS.indexOf(tab);
      const next =
        e.key === 'ArrowRight'
          ? TABS[(i + 1) % TABS.length]
          : e.key === 'ArrowLeft'
            ? TABS[(i + TABS.length - 1) % TABS.length]
            : e.key === 'Home'
              ? TABS[0]
              : e.key === 'End'
                ? TABS[TABS.length - 1]
                : null;
      if (next) {
        e.preventDefault();
        selectTab(next, true);
      }
    });
  }
}
