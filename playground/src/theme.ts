// The theme toggle: the system setting until the user picks one, which is then kept.
import { $, storageSet } from './dom';

export function initTheme() {
  const themeButton = $<HTMLButtonElement>('theme');
  const systemDark = matchMedia('(prefers-color-scheme: dark)');
  const effective = (): 'light' | 'dark' => {
    const set = document.documentElement.dataset.theme;
    if (set === 'light' || set === 'dark') return set;
    return systemDark.matches ? 'dark' : 'light';
  };
  const sync = () => {
    const other = effective() === 'dark' ? 'light' : 'dark';
    themeButton.setAttribute('aria-label', `Switch to ${other} theme`);
    themeButton.title = `Switch to ${other} theme`;
  };
  themeButton.addEventListener('click', () => {
    const next = effective() === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    storageSet('theme', next);
    sync();
  });
  systemDark.addEventListener('change', sync);
  sync();
}
