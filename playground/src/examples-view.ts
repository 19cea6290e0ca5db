// The Examples menu, the note on examples that change the registry (with the offer of a scratch
// copy), and the bar shown while the page works on a scratch copy.
import { $, errorText, h } from './dom';
import { EXAMPLES, type Example } from './examples';
import { runScript } from './run-view';
import { onScriptChange } from './script-tabs';
import { enterScratch, keepScratch, leaveScratch, onRefresh, refresh, state } from './state';
import { showNotice } from './status';

const examplesSelect = $<HTMLSelectElement>('examples');
const note = $('example-note');
const scratchBar = $('scratch-bar');

/** The example in the editor, while its text is unchanged. */
let shown: Example | null = null;

async function attempt(action: () => Promise<void>, what: string) {
  try {
    await action();
  } catch (e) {
    showNotice(`Could not ${what}: ${errorText(e)}`);
  }
  await refresh();
}

function renderNote() {
  note.hidden = !shown?.writes;
  if (!shown?.writes) return;
  const onCopy = h(
    'button',
    { type: 'button', id: 'run-scratch', class: 'primary' },
    state.scratch ? 'Run on a fresh scratch copy' : 'Run on a scratch copy',
  );
  onCopy.addEventListener('click', async () => {
    await attempt(() => enterScratch('example'), 'make a scratch copy');
    await runScript();
  });
  if (state.scratch) {
    note.replaceChildren(
      h('strong', {}, 'This example changes the registry. '),
      'Here it changes the scratch copy only. ',
      onCopy,
    );
    return;
  }
  const here = h('button', { type: 'button', id: 'run-here' }, 'Run on my registry');
  here.addEventListener('click', () => void runScript());
  note.replaceChildren(
    h('strong', {}, 'This example changes the registry. '),
    'Run it on a scratch copy to keep your registry as it is, or on your registry (Undo run moves head back afterwards). ',
    onCopy,
    ' ',
    here,
  );
}

function renderScratchBar() {
  const current = state.scratch;
  scratchBar.hidden = current === null;
  if (!current) return;
  const back = h('button', { type: 'button', id: 'leave-scratch' }, 'Back to my registry');
  back.addEventListener('click', () => void attempt(leaveScratch, 'restore your registry'));
  if (current.reason === 'link') {
    const keep = h('button', { type: 'button', id: 'keep-scratch' }, 'Keep this registry');
    keep.addEventListener('click', () => {
      keepScratch();
      void refresh();
    });
    scratchBar.replaceChildren(
      h('strong', {}, 'Registry from a shared link. '),
      'Your own registry is kept aside until you go back to it or keep this one instead. ',
      keep,
      ' ',
      back,
    );
  } else {
    scratchBar.replaceChildren(
      h('strong', {}, 'Scratch copy. '),
      'Runs change a copy of your registry; each example you pick starts from a fresh copy. ',
      back,
    );
  }
}

export function initExamplesView(load: (source: string) => void) {
  for (const group of ['spec', 'playground'] as const) {
    const optgroup = h('optgroup', { label: group === 'spec' ? 'Spec examples' : 'Playground' });
    for (const example of EXAMPLES.filter((e) => e.group === group)) {
      optgroup.append(
        h(
          'option',
          { value: example.id },
          example.writes ? `${example.title} (writes)` : example.title,
        ),
      );
    }
    examplesSelect.append(optgroup);
  }
  examplesSelect.addEventListener('change', async () => {
    const example = EXAMPLES.find((e) => e.id === examplesSelect.value);
    examplesSelect.value = '';
    if (!example) return;
    load(example.source);
    shown = example;
    renderNote();
    // On a scratch copy, every example starts from a fresh copy of the user's registry.
    if (state.scratch?.reason === 'example')
      await attempt(() => enterScratch('example'), 'refresh the scratch copy');
  });
  onScriptChange((source) => {
    if (shown && source !== shown.source) {
      shown = null;
      renderNote();
    }
  });
  onRefresh(() => {
    renderNote();
    renderScratchBar();
  });
}
