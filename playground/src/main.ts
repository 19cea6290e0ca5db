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
import { initRunView, PRELUDE, runScript } from './run-view';
import { initScriptTabs, initialScript, scriptEdited } from './script-tabs';
import { initShareView, openLink } from './share-view';
import { call, flushJournal, onReady, startWorker, state } from './state';
import { initTabs } from './tabs';
import { initTheme } from './theme';

/** Syntax errors as you type, from Luau's parser and compiler in the worker (not while a run
 * holds it). The run's prelude goes on the script's first line, so it shifts that line's columns. */
async function checkSyntax(source: string) {
  if (state.running || document.documentElement.dataset.ready !== 'true') return undefined;
  try {
    const error = await call('check', { source: PRELUDE + source });
    if (!error) return null;
    const shift = (line: number, column: number) =>
      line === 1 ? Math.max(1, column - PRELUDE.length) : column;
    return {
      ...error,
      column: shift(error.line, error.column),
      end_column: shift(error.end_line, error.end_column),
    };
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
addEventListener('pagehide', flushJournal);

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
  const started = startWorker();
  // The link's script opens at once; its registry (if any) once the worker is ready.
  await openLink(location.hash);
  await started;
}

void start();
