// The playground page: wires the editor and the views to the page state (state.ts), then starts
// the registry worker and opens a shared link if the address holds one.
import { forceLinting } from '@codemirror/lint';
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
import { CHUNK, initRunView, runScript } from './run-view';
import { initScriptTabs, initialScript, scriptEdited } from './script-tabs';
import { initShareView, openLink } from './share-view';
import { call, mirror, onReady, startWorker, state } from './state';
import { initTabs } from './tabs';
import { initTheme } from './theme';

/** Syntax errors as you type, from the module's compiler in the worker (not while a run holds it). */
async function checkSyntax(source: string) {
  if (state.running || document.documentElement.dataset.ready !== 'true') return undefined;
  try {
    const error = await call('check', { source, chunk: CHUNK });
    return error?.line != null ? { line: error.line, message: error.message } : null;
  } catch {
    return undefined;
  }
}

const editor = createEditor(
  $('editor'),
  initialScript(WELCOME),
  () => void runScript(),
  scriptEdited,
  checkSyntax,
);
initScriptTabs(editor);
// The first check waits for the module; later ones follow the typing.
onReady((ready) => ready && forceLinting(editor.view));
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
window.playground = {
  getScript: () => editor.getSource(),
  setScript: (source) => editor.setSource(source),
  run: runScript,
};

async function start() {
  const stored = await mirror.load();
  const started = startWorker(
    stored && typeof stored === 'object' ? (stored as HistoryExport) : null,
  );
  // The link's script opens at once; its registry (if any) once the worker is ready.
  await openLink(location.hash);
  await started;
}

void start();
