// The status bar, with the progress of long work in the worker, and the inspector's notice.
import { $ } from './dom';
import type { Task } from './protocol';

const statusEl = $('status');
const notice = $('inspector-notice');
const progressBox = $('progress');
const progressBar = $<HTMLProgressElement>('progress-bar');
const progressText = $('progress-text');

/** Work that takes longer than this shows its progress. */
const PROGRESS_AFTER_MS = 1000;
let busySince: number | null = null;
let progressTimer: ReturnType<typeof setTimeout> | null = null;
let task: Task | null = null;

function renderProgress() {
  if (!task) return;
  progressBox.hidden = false;
  progressText.textContent = task.steps
    ? `${task.what}… (step ${task.step} of ${task.steps})`
    : `${task.what}…`;
  if (task.steps && task.step) {
    progressBar.max = task.steps;
    progressBar.value = task.step - 0.5;
  } else {
    progressBar.removeAttribute('value'); // indeterminate
  }
}

/** What the worker is busy with: shown once it has been busy for a second, hidden when done. */
export function showProgress(next: Task | null) {
  task = next;
  if (!next) {
    busySince = null;
    if (progressTimer) clearTimeout(progressTimer);
    progressTimer = null;
    progressBox.hidden = true;
    return;
  }
  busySince ??= performance.now();
  if (!progressBox.hidden) renderProgress();
  else
    progressTimer ??= setTimeout(
      () => {
        progressTimer = null;
        renderProgress();
      },
      Math.max(0, PROGRESS_AFTER_MS - (performance.now() - busySince)),
    );
}

export function setStatus(text: string) {
  statusEl.textContent = text;
}

export function showNotice(text: string | null, kind: 'error' | 'info' = 'error') {
  notice.hidden = !text;
  notice.textContent = text ?? '';
  notice.className = `notice ${kind}`;
}
