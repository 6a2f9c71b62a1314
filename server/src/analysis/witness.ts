// Witnesses as the user types them: a solver model (or `--set` pins) ↔ the names `simulate`
// takes. `rcx` is the user RIP SYSCALL left in RCX and `r11` the user RFLAGS; other registers are
// the user's values at entry; `ptregs.FIELD` is what the saved frame holds after the calls into C
// (`ptregs.FIELD@L<line>` for one call site); `ti_flags` the thread-info work flags;
// `feature.X86_FEATURE_*` selects ALTERNATIVE arms; `cpu.amd` the vendor.

const USER_ALIAS: Record<string, string> = { rip: 'rcx', rflags: 'r11' };
const PIN_TO_USER: Record<string, string> = { rcx: 'user.rip', r11: 'user.rflags' };
const GPR = /^(rax|rbx|rcx|rdx|rsi|rdi|rbp|rsp|r8|r9|r10|r11|r12|r13|r14|r15)$/;

const hex = (v: bigint, width = 16): string => '0x' + v.toString(16).padStart(width, '0');

/** The pins of a model, in the names `simulate --set` takes, in a stable order. */
/** A kernel memory cell the walk named (`mem[kernel.rsp | 0x7fff-0x17]:64`): a pin a replay may need. */
const MEM_PIN = /^mem\[[^\]=]+\]:\d+$/;

export function pinsFromModel(model: ReadonlyMap<string, bigint>): Record<string, string> {
  const out: [string, string][] = [];
  const bySite = new Map<string, number>();
  for (const k of model.keys()) {
    const b = k.replace(/@L[\d.]+$/, '');
    if (b !== k) bySite.set(b, (bySite.get(b) ?? 0) + 1);
  }
  for (const [k, v] of model) {
    if (k.endsWith("'")) continue; // the second copy of a two-run (leak) query
    if (k.startsWith('user.')) {
      const r = k.slice(5);
      if (r === 'cr3') continue;
      out.push([USER_ALIAS[r] ?? r, hex(v)]);
    } else if (/^(ptregs\.|ti_flags|kernel\.|syscall\.|percpu\.)/.test(k)) {
      const b = k.replace(/@L[\d.]+$/, '');
      const name = b !== k && bySite.get(b) === 1 && !model.has(b) ? b : k;
      out.push([name, k.startsWith('kernel.') && /\.(CF|PF|AF|ZF|SF|OF|IF)@/.test(k) ? v.toString() : hex(v)]);
    } else if (k.startsWith('feature.') || k === 'cpu.amd' || k === 'cpu.la57' || k.startsWith('fault@')) out.push([k, v.toString()]);
    else if (k.startsWith('c.')) out.push([k, hex(v)]);
    else if (MEM_PIN.test(k)) out.push([k, hex(v)]);
  }
  const rank = (n: string): number => (GPR.test(n) ? 0 : n.startsWith('ptregs.') ? 1 : n.startsWith('ti_flags') ? 2 : n.startsWith('feature.') || n === 'cpu.amd' ? 3 : 4);
  out.sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
  return Object.fromEntries(out);
}

/** `simulate` arguments that replay a witness. */
export function replayCommandArgs(entry: string, pins: Record<string, string>): string[] {
  return ['--entry', entry, ...Object.entries(pins).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
}

/** Parses `--set NAME=VALUE` pins into the walk's environment; throws on a malformed pin. */
export function envFromPins(pins: string[]): Map<string, bigint> {
  const env = new Map<string, bigint>();
  for (const p of pins) {
    // (a name may carry its site, `@L104`, and for a value a C contract function made, the C line: `@L104:common.c:117`)
    const m = /^([A-Za-z_][\w.]*(?:@L[\d.]+(?::[\w.+-]+:\d+)?)?|mem\[[^\]=]+\]:\d+)=(-?(?:0x[0-9a-fA-F_]+|\d+))$/.exec(p.trim());
    if (!m) throw new Error(`--set expects NAME=VALUE (e.g. rcx=0x7fff00001000, ptregs.ip=0x800000000000), not '${p}'`);
    const name = m[1];
    let v = BigInt(m[2].replace(/_/g, ''));
    if (v < 0n) v = BigInt.asUintN(64, v);
    const lower = name.toLowerCase();
    if (GPR.test(lower)) env.set(PIN_TO_USER[lower] ?? 'user.' + lower, v);
    else if (/^frame_0x[0-9a-f]+$/.test(name)) env.set('user.' + name, v); // a frame entry's unnamed slot
    else if (/^(ptregs\.|ti_flags|kernel\.|syscall\.|percpu\.|feature\.|cpu\.amd|cpu\.la57|c\.|fault@)/.test(name) || MEM_PIN.test(name)) env.set(name, v);
    else throw new Error(`--set ${name}: not a register (rax … r15), ptregs.FIELD, ti_flags, feature.NAME, cpu.amd, cpu.la57, a C value (c.…) or a kernel memory cell a witness names (mem[…]:BITS)`);
  }
  return env;
}
