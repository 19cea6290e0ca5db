// The playground page: wires the editor and the views to the page state (state.ts), then starts
// the registry worker and opens a shared link if the address holds one.
import './style.css';
import { initDiffView } from './diff-view';
import { $ } from './dom';
import { createEditor } from './editor';
import { initEntriesView } from './entries-view';
import { WELCOME } from './examples';
import { initExamplesView } from './examples-view';
import { initFilesView } from './files-view';
import { initHistoryView } from './history-view';
import type { HistoryExport } from './protocol';
import { initRunView, runScript } from './run-view';
import { initScriptTabs, initialScript, scriptEdited } from './script-tabs';
import { initShareView, openLink } from './share-view';
import { mirror, startWorker } from './state';
import { initTabs } from './tabs';
import { initTheme } from './theme';

const editor = createEditor($('editor'), initialScript(WELCOME), () => void runScript(), scriptEdited);
initScriptTabs(editor);
initRunView(editor);
initExamplesView((source) => {
  editor.setSource(source);
  editor.view.focus();
});
initTabs();
initEntriesView();
initHistoryView();
initDiffView();
initShareView(() => editor.getSource());
initFilesView();
initTheme();
addEventListener('pagehide', () => void mirror.flush());

/** A small console (and test) API: `playground.getScript()`, `playground.setScript(text)`. */
declare global {
  interface Window {
    playground: { getScript(): string; setScript(source: string): void; run(): Promise<void> };
  }
}
window.playground = { getScript: () => editor.getSource(), setScript: (source) => editor.setSource(source), run: runScript };

async function start() {
  const stored = await mirror.load();
  const started = startWorker(stored && typeof stored === 'object' ? (stored as HistoryExport) : null);
  // The link's script opens at once; its registry (if any) once the worker is ready.
  await openLink(location.hash);
  await started;
}

void start();
