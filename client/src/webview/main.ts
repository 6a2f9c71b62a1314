/// <reference lib="dom" />
// The simulation view's page. It shows what the extension relays from the language server
// (`entryReview/simulate`): the entry's returns with verdict and exit condition, and a concrete run
// step by step. Keys: ↑/↓ or k/j move, Enter opens (a return: its concrete run; a step: its line),
// ←/→ or h/l switch the vendor's run, Esc goes back to the returns. Its state survives being hidden
// (vscode.setState) and is posted to the extension after every change.
import type { FromPage, PathData, StepData, ToPage, ViewState } from './protocol';

interface VsCodeApi {
  postMessage(msg: FromPage): void;
  getState(): ViewState | undefined;
  setState(s: ViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let state: ViewState | undefined = vscode.getState();
const root = document.getElementById('root') as HTMLElement;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function save(): void {
  if (!state) return;
  vscode.setState(state);
  vscode.postMessage({ type: 'state', state });
}

function runPath(): PathData | undefined {
  return state?.run?.paths[Math.min(state.vendor, state.run.paths.length - 1)];
}

function currentStep(): StepData | undefined {
  const p = runPath();
  return p && state && state.step >= 0 ? p.steps[state.step] : undefined;
}

function reveal(): void {
  const s = currentStep();
  if (s) vscode.postMessage({ type: 'reveal', line: s.line });
  else if (state && state.focus === 'paths' && state.paths[state.selected]) vscode.postMessage({ type: 'reveal', line: state.paths[state.selected].line });
}

function move(delta: number): void {
  if (!state) return;
  if (state.focus === 'steps') {
    const p = runPath();
    if (!p || p.steps.length === 0) return;
    state.step = Math.max(0, Math.min(p.steps.length - 1, state.step + delta));
  } else {
    if (state.paths.length === 0) return;
    state.selected = Math.max(0, Math.min(state.paths.length - 1, state.selected + delta));
  }
  render();
  save();
  reveal();
}

function open(): void {
  if (!state) return;
  if (state.focus === 'steps') return reveal();
  const p = state.paths[state.selected];
  if (p?.pins) {
    state.busy = `running the pins of line ${p.line + 1}…`;
    render();
    vscode.postMessage({ type: 'run', pins: p.pins, from: `${p.pinsFrom === 'finding' ? 'the witness of' : 'a path to'} line ${p.line + 1}` });
  }
}

function setVendor(delta: number): void {
  if (!state?.run || state.run.paths.length < 2) return;
  state.vendor = (state.vendor + delta + state.run.paths.length) % state.run.paths.length;
  const p = runPath();
  if (p) state.step = Math.min(state.step, p.steps.length - 1);
  render();
  save();
}

function onKey(key: string): boolean {
  if (!state) return false;
  switch (key) {
    case 'ArrowDown':
    case 'j':
      move(1);
      return true;
    case 'ArrowUp':
    case 'k':
      move(-1);
      return true;
    case 'Home':
      move(-1e9);
      return true;
    case 'End':
      move(1e9);
      return true;
    case 'Enter':
      open();
      return true;
    case 'ArrowLeft':
    case 'h':
      setVendor(-1);
      return true;
    case 'ArrowRight':
    case 'l':
      setVendor(1);
      return true;
    case 'Escape':
      if (state.focus === 'steps' && state.paths.length) {
        state.focus = 'paths';
        render();
        save();
        reveal();
      }
      return true;
    case 'Tab':
      if (state.run && state.paths.length) {
        state.focus = state.focus === 'paths' ? 'steps' : 'paths';
        if (state.focus === 'steps' && state.step < 0) state.step = 0;
        render();
        save();
        reveal();
        return true;
      }
      return false;
  }
  return false;
}

document.addEventListener('keydown', (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  if (onKey(e.key)) e.preventDefault();
});

window.addEventListener('message', (ev: MessageEvent<ToPage>) => {
  const m = ev.data;
  if (m.type === 'paths' && m.refresh && state && state.uri === m.data.uri && state.entry === m.data.entry) {
    // the file was edited: the same entry's returns anew, the selection and the run kept
    const was = state.paths[state.selected]?.line;
    const at = m.data.paths.findIndex((p) => p.line === was);
    state = { ...state, paths: m.data.paths, selected: at >= 0 ? at : Math.min(state.selected, Math.max(0, m.data.paths.length - 1)), error: m.data.error, refreshed: (state.refreshed ?? 0) + 1 };
    render();
  } else if (m.type === 'run' && m.refresh && state?.run && state.uri === m.data.uri && state.entry === m.data.entry) {
    // the same pins on the edited file: vendor and step kept where they still exist
    const paths = m.data.paths;
    const vendor = Math.min(state.vendor, Math.max(0, paths.length - 1));
    state = { ...state, run: { ...state.run, paths, error: m.data.error }, vendor, step: Math.min(state.step, (paths[vendor]?.steps.length ?? 0) - 1), refreshed: (state.refreshed ?? 0) + 1 };
    render();
  } else if (m.type === 'paths') {
    const select = m.select !== undefined ? Math.max(0, m.data.paths.findIndex((p) => p.line === m.select)) : 0;
    state = { uri: m.data.uri, file: m.file, entry: m.data.entry, paths: m.data.paths, selected: select, vendor: 0, step: -1, focus: 'paths', error: m.data.error, seq: m.seq ?? 0 };
    render();
    save();
    if (m.data.paths.length) reveal();
  } else if (m.type === 'run') {
    const same = state && state.uri === m.data.uri && state.entry === m.data.entry;
    const base: ViewState = same && state ? state : { uri: m.data.uri, file: m.file, entry: m.data.entry, paths: [], selected: 0, vendor: 0, step: -1, focus: 'steps', seq: 0 };
    state = { ...base, run: { pins: m.data.pins, from: m.from, paths: m.data.paths, error: m.data.error }, vendor: 0, step: m.data.paths[0]?.steps.length ? 0 : -1, focus: 'steps', busy: undefined };
    render();
    save();
    reveal();
  } else if (m.type === 'busy') {
    if (state) state.busy = m.what;
    else state = { uri: '', file: '', entry: '', paths: [], selected: 0, vendor: 0, step: -1, focus: 'paths', busy: m.what, seq: 0 };
    render();
  } else if (m.type === 'step') {
    if (state && state.focus !== 'steps' && state.run) state.focus = 'steps';
    move(m.delta);
  } else if (m.type === 'key') {
    onKey(m.key);
  }
  // every message is answered with the state it left (the extension waits for its number)
  if (state && m.seq !== undefined) {
    state.seq = m.seq;
    save();
  }
});

const VERDICT: Record<string, string> = { ok: 'ok', finding: 'finding', unknown: 'unknown' };

function badge(verdict: string): HTMLElement {
  return el('span', `badge ${VERDICT[verdict] ?? 'unknown'}`, verdict);
}

function render(): void {
  root.replaceChildren();
  if (!state) {
    root.append(el('p', 'muted', 'Run “Entry Review: Simulate Return Path” on an entry file.'));
    return;
  }
  const s = state;
  const head = el('header');
  head.append(el('h1', undefined, s.entry || 'Simulation'), el('span', 'muted', s.file));
  root.append(head);
  if (s.busy) root.append(el('p', 'busy', s.busy));
  if (s.error) root.append(el('p', 'error', s.error));

  if (s.paths.length) {
    const sec = el('section');
    sec.append(el('h2', undefined, `Returns to user mode (${s.paths.length})`));
    const list = el('ul', `list${s.focus === 'paths' ? ' focused' : ''}`);
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', 'returns to user mode');
    s.paths.forEach((p, i) => {
      const li = el('li', i === s.selected ? 'selected' : undefined);
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', String(i === s.selected));
      const top = el('div', 'row');
      top.append(el('span', 'line', `line ${p.line + 1}`), el('span', 'kind', (p.returnKind ?? p.exit.kind).toUpperCase()), badge(p.verdict), el('span', 'summary', p.summary));
      if (p.pins) top.append(el('span', 'hint', p.pinsFrom === 'finding' ? 'Enter: run the witness' : 'Enter: run a path'));
      li.append(top);
      if (p.exitCondition) {
        const c = el('div', 'cond', `taken when ${p.exitCondition}`);
        c.title = p.exitCondition;
        li.append(c);
      }
      li.addEventListener('click', () => {
        s.selected = i;
        s.focus = 'paths';
        render();
        save();
        reveal();
      });
      li.addEventListener('dblclick', () => open());
      list.append(li);
    });
    sec.append(list);
    root.append(sec);
  }

  const run = s.run;
  if (run) {
    const sec = el('section');
    sec.append(el('h2', undefined, `Concrete run${run.from ? ` — ${run.from}` : ''}`));
    // the pins that matter first: a witness pins every input, most of them to 0
    const short = (p: string): string => p.replace(/=0x0*([0-9a-f])/i, '=0x$1');
    const nonzero = run.pins.filter((p) => !/=(0x)?0*$/i.test(p)).map(short);
    const zero = run.pins.length - nonzero.length;
    const pins = el('div', 'pins', run.pins.length ? `pins: ${nonzero.join('  ')}${zero ? `${nonzero.length ? '  ' : ''}(${zero} more = 0)` : ''}` : 'no pins');
    pins.title = run.pins.join('\n');
    sec.append(pins);
    if (run.error) sec.append(el('p', 'error', run.error));
    if (run.paths.length > 1) {
      const tabs = el('div', 'tabs');
      tabs.setAttribute('role', 'tablist');
      run.paths.forEach((p, i) => {
        const t = el('button', i === s.vendor ? 'tab active' : 'tab', p.exit.vendor ?? `run ${i + 1}`);
        t.setAttribute('role', 'tab');
        t.setAttribute('aria-selected', String(i === s.vendor));
        t.addEventListener('click', () => setVendor(i - s.vendor));
        tabs.append(t);
      });
      sec.append(tabs);
    }
    const p = runPath();
    if (p) {
      const exit = el('div', `exit ${p.exit.fault ? 'fault' : p.exit.kind}`);
      exit.append(badge(p.verdict), el('span', undefined, ` ${p.summary}`));
      sec.append(exit);
      if (p.exit.user) {
        const u = p.exit.user;
        sec.append(el('div', 'user', `user state after: rip=${u.rip} rsp=${u.rsp} rflags=${u.rflags} cs=${u.cs} ss=${u.ss} gs=${u.gsBase} cr3=${u.cr3}`));
      }
      const cols = el('div', 'cols');
      const steps = el('ol', `list steps${s.focus === 'steps' ? ' focused' : ''}`);
      steps.setAttribute('role', 'listbox');
      steps.setAttribute('aria-label', 'steps of the run');
      p.steps.forEach((st, i) => {
        const li = el('li', i === s.step ? 'selected' : undefined);
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', String(i === s.step));
        li.append(el('span', 'line', String(st.line + 1)), el('code', 'insn', st.text));
        const ch = Object.entries(st.changed).map(([k, v]) => `${k}=${v}`).join(' ');
        if (ch) li.append(el('span', 'changed', ch));
        li.addEventListener('click', () => {
          s.step = i;
          s.focus = 'steps';
          render();
          save();
          reveal();
        });
        steps.append(li);
      });
      cols.append(steps);
      const st = currentStep();
      if (st) cols.append(detail(st));
      sec.append(cols);
      // keep the current step in view (within its own list: the page itself stays put)
      requestAnimationFrame(() => {
        const li = steps.querySelector<HTMLElement>('li.selected');
        if (!li) return;
        const top = li.offsetTop;
        if (top < steps.scrollTop || top + li.offsetHeight > steps.scrollTop + steps.clientHeight) steps.scrollTop = Math.max(0, top - steps.clientHeight / 3);
      });
    }
    root.append(sec);
  }
  root.append(el('footer', 'muted', '↑/↓ or j/k: move · Enter: run the return / show the line · ←/→: vendor · Tab: returns ⇄ steps · Esc: back'));
}

function detail(st: StepData): HTMLElement {
  const box = el('div', 'detail');
  box.append(el('h3', undefined, `after line ${st.line + 1}: ${st.text}`));
  const cells = Object.entries(st.frame);
  if (cells.length) {
    box.append(el('h3', undefined, 'pt_regs cells written'));
    const t = el('table', 'frame');
    for (const [k, v] of cells) {
      const tr = el('tr', 'changed');
      tr.append(el('th', undefined, k), el('td', undefined, v));
      t.append(tr);
    }
    box.append(t);
  }
  box.append(el('h3', undefined, 'registers'));
  const regs = el('table', 'regs');
  for (const [k, v] of Object.entries(st.regs)) {
    const tr = el('tr', k in st.changed ? 'changed' : undefined);
    tr.append(el('th', undefined, k), el('td', undefined, v));
    regs.append(tr);
  }
  box.append(regs);
  const flags = el('div', 'flags');
  for (const [k, v] of Object.entries(st.flags)) {
    const f = el('span', `flag${v === '1' ? ' set' : v === '0' ? '' : ' sym'}`, `${k}=${v.length > 12 ? '?' : v}`);
    if (v.length > 12) f.title = v;
    flags.append(f);
  }
  box.append(el('h3', undefined, 'flags'), flags, el('div', 'gs', `GS base: ${st.gs}`));
  return box;
}

render();
if (state) save();
vscode.postMessage({ type: 'ready' });
