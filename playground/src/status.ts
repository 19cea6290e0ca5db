// The status bar and the inspector's notice.
import { $ } from './dom';

const statusEl = $('status');
const notice = $('inspector-notice');

export function setStatus(text: string) {
  statusEl.textContent = text;
}

export function showNotice(text: string | null, kind: 'error' | 'info' = 'error') {
  notice.hidden = !text;
  notice.textContent = text ?? '';
  notice.className = `notice ${kind}`;
}
