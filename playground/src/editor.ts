// The script editor: CodeMirror 6 with Lua highlighting, line numbers, bracket matching,
// completion of the registry API, Mod-Enter to run, and the line of the last error marked.
import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  type Completion,
  type CompletionContext,
  type CompletionResult,
} from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import {
  bracketMatching,
  HighlightStyle,
  indentOnInput,
  StreamLanguage,
  syntaxHighlighting,
  foldGutter,
  foldKeymap,
} from '@codemirror/language';
import { lua } from '@codemirror/legacy-modes/mode/lua';
import { type Diagnostic, linter, lintGutter, lintKeymap } from '@codemirror/lint';
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search';
import {
  EditorState,
  RangeSetBuilder,
  StateEffect,
  StateField,
  type Extension,
  type Text,
} from '@codemirror/state';
import {
  Decoration,
  type DecorationSet,
  drawSelection,
  EditorView,
  GutterMarker,
  gutter,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
  placeholder,
} from '@codemirror/view';
import { tags as t } from '@lezer/highlight';

// ---- the registry API, for completion ------------------------------------------------------

const fn = (label: string, detail: string, info: string): Completion => ({
  label,
  detail,
  info,
  type: 'function',
});

export const MODULE_FUNCTIONS: Completion[] = [
  fn('get', '(id) -> entry, err', 'The entry at head, or nil and "entry not found: id".'),
  fn(
    'find',
    '(criteria) -> entries, err',
    'Entries at head matching criteria: .kind .name .ns .id, meta.field, ~ * ^ $ operators.',
  ),
  fn('snapshot', '() -> snapshot, err', 'A snapshot of head.'),
  fn('snapshot_at', '(version_id) -> snapshot, err', 'A snapshot of any version.'),
  fn('current_version', '() -> version, err', 'The head version.'),
  fn('versions', '() -> versions, err', 'Every version, ascending by id.'),
  fn(
    'apply_version',
    '(version) -> ok, err',
    'Moves head to a version (rollback or forward); creates none.',
  ),
  fn(
    'parse_id',
    '(id) -> {ns, name}',
    'Splits at the first colon; without one, ns is "" and the whole string is the name.',
  ),
  fn('history', '() -> history', 'The history object.'),
  fn(
    'build_delta',
    '(from, to) -> ops, err',
    'Operations turning one array of entries into another.',
  ),
];

export const OBJECT_METHODS: Completion[] = [
  fn(
    'entries',
    'snapshot:entries() -> entries',
    'All entries of the snapshot, sorted by namespace then name.',
  ),
  fn('get', 'snapshot:get(id) -> entry, err', 'One entry of the snapshot.'),
  fn('namespace', 'snapshot:namespace(ns) -> entries', 'Entries of one namespace.'),
  fn('find', 'snapshot:find(criteria) -> entries', 'Entries of the snapshot matching criteria.'),
  fn('changes', 'snapshot:changes() -> changes', 'A changeset on top of this snapshot.'),
  fn('version', 'snapshot:version() -> version', 'The version of the snapshot.'),
  fn('create', 'changes:create(entry) -> changes', 'Adds a create operation.'),
  fn(
    'update',
    'changes:update(entry) -> changes',
    'Adds an update (meta and data replaced completely).',
  ),
  fn('delete', 'changes:delete(id) -> changes', 'Adds a delete operation.'),
  fn(
    'apply',
    'changes:apply() -> version, err',
    'Applies the changeset atomically as a new version.',
  ),
  fn('ops', 'changes:ops() / version:ops() -> ops', 'The operations, each {kind, entry}.'),
  fn('versions', 'history:versions() -> versions, err', 'Every version.'),
  fn('get_version', 'history:get_version(id) -> version, err', 'One version by id.'),
  fn('snapshot_at', 'history:snapshot_at(version) -> snapshot, err', 'A snapshot of a version.'),
  fn('id', 'version:id() -> number', 'The version id.'),
  fn('previous', 'version:previous() -> version?', 'The parent version, nil for v0.'),
  fn(
    'next',
    'version:next() -> version?',
    'The child on the way to head (else the newest child), nil when there is none.',
  ),
  fn('string', 'version:string() -> string', '"v" .. id.'),
  fn('time', 'version:time() -> ms', 'When the version was created (ms since the epoch).'),
  fn(
    'kind',
    'err:kind() -> string',
    "The error's kind, one of the errors table: errors.NOT_FOUND, errors.CONFLICT, ...",
  ),
  fn('retryable', 'err:retryable() -> boolean', 'True exactly for conflicts.'),
  fn('message', 'err:message() -> string', 'The message, as tostring(err) gives it.'),
  fn(
    'details',
    'err:details() -> table?',
    'What the error is about, e.g. {id = ...}; nil when there is nothing to add.',
  ),
];

const GLOBALS: Completion[] = [
  {
    label: 'registry',
    type: 'variable',
    detail: 'require("registry")',
    info: 'The registry module (predefined).',
  },
  {
    label: 'snapshot',
    type: 'variable',
    detail: 'registry.snapshot()',
    info: 'A snapshot of head taken when the run starts (predefined).',
  },
  {
    label: 'errors',
    type: 'variable',
    detail: 'errors.NOT_FOUND, ...',
    info: 'The error kinds that err:kind() returns (read-only).',
  },
  { label: 'require', type: 'function', detail: '("registry")' },
  { label: 'print', type: 'function' },
  { label: 'ipairs', type: 'function' },
  { label: 'pairs', type: 'function' },
  { label: 'tostring', type: 'function' },
  { label: 'assert', type: 'function' },
  { label: 'error', type: 'function' },
  { label: 'pcall', type: 'function' },
  ...[
    'local',
    'function',
    'return',
    'then',
    'end',
    'elseif',
    'else',
    'while',
    'repeat',
    'until',
    'for',
    'in',
    'and',
    'or',
    'not',
    'nil',
    'true',
    'false',
  ].map((label): Completion => ({ label, type: 'keyword' })),
];

export function registryCompletions(context: CompletionContext): CompletionResult | null {
  const member = context.matchBefore(/\bregistry\.\w*$/);
  if (member)
    return { from: member.from + 'registry.'.length, options: MODULE_FUNCTIONS, validFor: /^\w*$/ };
  const method = context.matchBefore(/[\w)\]]:\w*$/);
  if (method)
    return {
      from: method.from + method.text.indexOf(':') + 1,
      options: OBJECT_METHODS,
      validFor: /^\w*$/,
    };
  const word = context.matchBefore(/\w+$/);
  if (!word && !context.explicit) return null;
  return { from: word ? word.from : context.pos, options: GLOBALS, validFor: /^\w*$/ };
}

// ---- the error line ------------------------------------------------------------------------

const setErrorLine = StateEffect.define<number | null>();

class ErrorMarker extends GutterMarker {
  toDOM() {
    const mark = document.createElement('span');
    mark.className = 'cm-error-marker';
    mark.textContent = '●';
    mark.setAttribute('aria-hidden', 'true');
    return mark;
  }
}

/** The 1-based line of the last run's error, until the script is edited. */
const errorLine = StateField.define<number | null>({
  create: () => null,
  update(value, tr) {
    for (const effect of tr.effects) if (effect.is(setErrorLine)) return effect.value;
    return tr.docChanged ? null : value;
  },
});

const errorDecorations = EditorView.decorations.compute([errorLine], (state): DecorationSet => {
  const line = state.field(errorLine);
  if (line === null || line < 1 || line > state.doc.lines) return Decoration.none;
  const builder = new RangeSetBuilder<Decoration>();
  const from = state.doc.line(line).from;
  builder.add(
    from,
    from,
    Decoration.line({ class: 'cm-error-line', attributes: { 'data-error-line': String(line) } }),
  );
  return builder.finish();
});

const errorGutter = gutter({
  class: 'cm-error-gutter',
  markers: (view) => {
    const line = view.state.field(errorLine);
    const builder = new RangeSetBuilder<GutterMarker>();
    if (line !== null && line >= 1 && line <= view.state.doc.lines) {
      const from = view.state.doc.line(line).from;
      builder.add(from, from, new ErrorMarker());
    }
    return builder.finish();
  },
});

// ---- syntax errors as you type ----------------------------------------------------------------

/** A syntax error found without running, as the module locates it: lines and columns from 1,
 * columns counted in characters. */
export interface SyntaxProblem {
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  message: string;
}

/** Checks the text; undefined when it cannot now (a script is running), keeping what is shown. */
export type SyntaxCheck = (source: string) => Promise<SyntaxProblem | null | undefined>;

/** Pause after the last keystroke before the module compiles the script. */
const CHECK_DELAY_MS = 400;

/** The document offset of a 1-based line and character column (clamped to the document). */
function offsetOf(doc: Text, line: number, column: number): number {
  const text = doc.line(Math.min(Math.max(line, 1), doc.lines));
  let offset = 0;
  let characters = 1;
  for (const character of text.text) {
    if (characters >= column) break;
    offset += character.length; // UTF-16 code units
    characters += 1;
  }
  return text.from + offset;
}

function syntaxLinter(check: SyntaxCheck): Extension {
  let shown: Diagnostic[] = [];
  return linter(
    async (view) => {
      const problem = await check(view.state.doc.toString());
      if (problem === undefined) return shown;
      shown = [];
      const doc = view.state.doc;
      if (problem && problem.line >= 1 && problem.line <= doc.lines) {
        const from = offsetOf(doc, problem.line, problem.column);
        let to = offsetOf(doc, problem.end_line, problem.end_column);
        // An error at a point (the end of the script, say) still gets one character underlined.
        if (to <= from) to = Math.min(from + 1, doc.line(problem.line).to);
        shown = [
          {
            from,
            to,
            severity: 'error',
            source: 'Luau',
            message: `Line ${problem.line}, column ${problem.column}: ${problem.message}`,
          },
        ];
      }
      return shown;
    },
    { delay: CHECK_DELAY_MS },
  );
}

// ---- highlighting through CSS variables, so the theme switch is pure CSS --------------------

const highlight = HighlightStyle.define([
  { tag: t.keyword, color: 'var(--hl-keyword)', fontWeight: '600' },
  {
    tag: [t.comment, t.lineComment, t.blockComment],
    color: 'var(--hl-comment)',
    fontStyle: 'italic',
  },
  { tag: [t.string, t.special(t.string)], color: 'var(--hl-string)' },
  { tag: [t.number, t.bool, t.null, t.atom], color: 'var(--hl-number)' },
  { tag: [t.variableName, t.name], color: 'var(--fg)' },
  {
    tag: [t.standard(t.variableName), t.special(t.variableName), t.function(t.variableName)],
    color: 'var(--hl-builtin)',
  },
  { tag: [t.operator, t.punctuation, t.bracket], color: 'var(--hl-operator)' },
]);

export interface ScriptEditor {
  view: EditorView;
  getSource(): string;
  /** Replaces the text (one undoable change). */
  setSource(source: string): void;
  /** A fresh editor state (own undo history) for another script tab. */
  newState(source: string): EditorState;
  markError(line: number | null): void;
  goToLine(line: number): void;
}

export function createEditor(
  parent: HTMLElement,
  source: string,
  onRun: () => void,
  onChange: (source: string) => void,
  check: SyntaxCheck,
): ScriptEditor {
  const run = () => {
    onRun();
    return true;
  };
  const extensions: Extension[] = [
    lineNumbers(),
    errorGutter,
    lintGutter(),
    syntaxLinter(check),
    foldGutter(),
    highlightActiveLineGutter(),
    history(),
    drawSelection(),
    indentOnInput(),
    bracketMatching(),
    closeBrackets(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    StreamLanguage.define(lua),
    syntaxHighlighting(highlight),
    autocompletion({ override: [registryCompletions], activateOnTyping: true }),
    placeholder('-- a Luau script; registry and snapshot are predefined'),
    errorLine,
    errorDecorations,
    keymap.of([
      { key: 'Mod-Enter', run, preventDefault: true },
      ...closeBracketsKeymap,
      ...defaultKeymap,
      ...searchKeymap,
      ...historyKeymap,
      ...foldKeymap,
      ...lintKeymap,
    ]),
    // tabindex: the editable content is in the tab order anyway; said explicitly, checkers such as
    // axe-core see that the scrolling editor holds keyboard-reachable content.
    EditorView.contentAttributes.of({
      'aria-label': 'Lua script editor',
      'aria-describedby': 'editor-help',
      tabindex: '0',
    }),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) onChange(update.state.doc.toString());
    }),
    EditorState.tabSize.of(2),
    EditorView.lineWrapping,
  ];
  const newState = (doc: string) => EditorState.create({ doc, extensions });
  const view = new EditorView({ parent, state: newState(source) });
  return {
    view,
    newState,
    getSource: () => view.state.doc.toString(),
    setSource(text: string) {
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: text },
        selection: { anchor: 0 },
        scrollIntoView: true,
      });
    },
    markError(line: number | null) {
      const effects: StateEffect<unknown>[] = [setErrorLine.of(line)];
      if (line !== null && line >= 1 && line <= view.state.doc.lines) {
        effects.push(EditorView.scrollIntoView(view.state.doc.line(line).from, { y: 'center' }));
      }
      view.dispatch({ effects });
    },
    goToLine(line: number) {
      const doc = view.state.doc;
      if (line >= 1 && line <= doc.lines)
        view.dispatch({ selection: { anchor: doc.line(line).from }, scrollIntoView: true });
      view.focus();
    },
  };
}
