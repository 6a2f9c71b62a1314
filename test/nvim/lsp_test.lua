-- Neovim as a third-party LSP client of `entry-review lsp --stdio` (Neovim 0.7.2 API:
-- vim.lsp.start_client, buf_attach_client, client.request_sync). Run by scripts/test-nvim.mjs:
--   timeout 90 nvim --headless -u NONE -i NONE -n -c 'luafile test/nvim/lsp_test.lua'
-- with ENTRY_REVIEW_REPO set to the repository. Prints one line per check and a closing
-- `nvim: N passed, N failed`; exits non-zero on any failure or Lua error (never hangs).

local repo = os.getenv('ENTRY_REVIEW_REPO') or vim.fn.getcwd()
local fixtures = repo .. '/test/fixtures/editor'
local passed, failed = 0, 0

local function out(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end

local function show(v)
  return vim.inspect(v, { newline = ' ', indent = '' })
end

local function check(name, ok, detail)
  if ok then
    passed = passed + 1
    out('ok   ' .. name)
  else
    failed = failed + 1
    out('FAIL ' .. name .. (detail and ('\n     ' .. detail) or ''))
  end
  return ok
end

local function eq(name, got, want)
  return check(name, vim.deep_equal(got, want), 'expected ' .. show(want) .. '\n     got      ' .. show(got))
end

-- publishDiagnostics, as they arrive: uri -> { n = count, diagnostics = list }
local published = {}

local function diags(uri)
  local p = published[uri]
  return p and p.diagnostics or nil
end

local function count_of(uri)
  return published[uri] and published[uri].n or 0
end

local function parse_diags(list)
  local r = {}
  for _, d in ipairs(list or {}) do
    if d.code == 'parse' then table.insert(r, d) end
  end
  return r
end

local function fmt_range(r)
  return string.format('%d:%d-%d:%d', r.start.line, r.start.character, r['end'].line, r['end'].character)
end

local function summary(list)
  local parts = {}
  for _, d in ipairs(list or {}) do
    table.insert(parts, string.format('[%s sev%d %s] %s', tostring(d.code), d.severity or 0, fmt_range(d.range), (d.message or ''):gsub('\n.*', '')))
  end
  return #parts == 0 and '(none)' or table.concat(parts, '; ')
end

local function wait_diags(uri, after, pred, what)
  local ok = vim.wait(15000, function()
    return count_of(uri) > after and pred(diags(uri))
  end, 20)
  if not ok then
    error(string.format('timed out waiting for %s; last diagnostics for %s: %s', what, uri, summary(diags(uri))))
  end
  return diags(uri)
end

local client_id
local exit_code

local function main()
  local cmd = { 'node', repo .. '/bin/entry-review.js', 'lsp', '--stdio' }
  out('nvim: starting ' .. table.concat(cmd, ' '))
  client_id = vim.lsp.start_client({
    name = 'entry-review',
    cmd = cmd,
    root_dir = fixtures,
    get_language_id = function() return 'x86-entry-asm' end,
    handlers = {
      ['textDocument/publishDiagnostics'] = function(_, result)
        local p = published[result.uri] or { n = 0 }
        p.n = p.n + 1
        p.diagnostics = result.diagnostics
        published[result.uri] = p
      end,
    },
    on_exit = function(code, signal)
      exit_code = { code = code, signal = signal }
    end,
  })
  assert(client_id, 'vim.lsp.start_client returned nil')

  -- 1. Open a fixture: diagnostics arrive with the parse error at line 14.
  vim.cmd('edit ' .. vim.fn.fnameescape(fixtures .. '/entry.S'))
  local buf = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(buf)
  assert(vim.lsp.buf_attach_client(buf, client_id), 'buf_attach_client failed')
  local ok_init = vim.wait(15000, function()
    local c = vim.lsp.get_client_by_id(client_id)
    return c ~= nil and c.initialized == true
  end, 20)
  assert(ok_init, 'the server did not finish initialize within 15 s' .. (exit_code and (' (exited: ' .. show(exit_code) .. ')') or ''))
  local client = vim.lsp.get_client_by_id(client_id)
  eq('initialize: the server offers hovers, symbols and definitions', {
    client.server_capabilities.hoverProvider, client.server_capabilities.documentSymbolProvider, client.server_capabilities.definitionProvider }, { true, true, true })

  local first = wait_diags(uri, 0, function(l) return #parse_diags(l) > 0 end, 'a parse diagnostic in entry.S')
  local parse = parse_diags(first)
  eq('one parse diagnostic in entry.S', #parse, 1)
  eq('parse diagnostic range (line 20, the movq with a doubled comma)', fmt_range(parse[1].range), '19:10-19:11')
  eq('parse diagnostic severity is Error', parse[1].severity, 1)
  eq('parse diagnostic source', parse[1].source, 'entry-review')

  -- 2. Hover on an instruction (the x86 model's description).
  local hov = client.request_sync('textDocument/hover', { textDocument = { uri = uri }, position = { line = 28, character = 3 } }, 5000, buf)
  local text = ''
  if hov and hov.result and hov.result.contents then
    local c = hov.result.contents
    text = type(c) == 'string' and c or (c.value or show(c))
  end
  check('hover on sysretq names the instruction', text:lower():find('sysretq', 1, true) ~= nil, 'hover: ' .. show(hov))
  check('hover on sysretq: RIP from RCX, RFLAGS from R11', text:find('RIP from RCX', 1, true) ~= nil and text:find('RFLAGS from (R11', 1, true) ~= nil, 'hover: ' .. text)

  -- 3. Document symbols: the labels, in order, each selecting its name alone (no colon).
  local sym = client.request_sync('textDocument/documentSymbol', { textDocument = { uri = uri } }, 5000, buf)
  local labels = {}
  for _, s in ipairs((sym and sym.result) or {}) do
    if s.kind == 12 then -- Function
      table.insert(labels, s.name .. '@' .. fmt_range(s.selectionRange or s.location.range))
    end
  end
  eq('document symbols: labels with ranges', labels, { 'demo_entry@13:0-13:10', 'demo_slow@23:0-23:9', 'demo_exit@26:0-26:9' })

  -- 4. Go to definition of `demo_exit` in `jmp demo_exit` (line 17).
  local def = client.request_sync('textDocument/definition', { textDocument = { uri = uri }, position = { line = 22, character = 7 } }, 5000, buf)
  local loc = def and def.result
  if loc and loc[1] then loc = loc[1] end
  eq('definition of demo_exit', loc and { vim.uri_to_fname(loc.uri or loc.targetUri), fmt_range(loc.range or loc.targetSelectionRange) },
    { fixtures .. '/entry.S', '26:0-26:10' })

  -- 5. Edit the buffer: a bad line is reported, its removal clears it.
  local before = count_of(uri)
  vim.api.nvim_buf_set_lines(buf, 5, 5, false, { '\tfoo bar baz %%%' })
  local after = wait_diags(uri, before, function(l) return #parse_diags(l) == 2 end, 'a second parse diagnostic after the edit')
  local lines = {}
  for _, d in ipairs(parse_diags(after)) do table.insert(lines, d.range.start.line) end
  table.sort(lines)
  eq('parse diagnostics after inserting a bad line at line 6 (the old one moves down)', lines, { 5, 20 })
  before = count_of(uri)
  vim.api.nvim_buf_set_lines(buf, 5, 6, false, {})
  local back = wait_diags(uri, before, function(l) return #parse_diags(l) == 1 end, 'the inserted line\'s diagnostic to go away')
  eq('after removing the line: the original parse diagnostic only', fmt_range(parse_diags(back)[1].range), '19:10-19:11')

  -- 6. A clean kernel file: no finding, a CodeLens per return, the return's conditions on hover;
  --    then delete its canonical check (shl/sar) and the finding appears at the SYSRET.
  vim.cmd('edit ' .. vim.fn.fnameescape(repo .. '/test/fixtures/kernels/linux-2015-entry_64.S'))
  local kbuf = vim.api.nvim_get_current_buf()
  local kuri = vim.uri_from_bufnr(kbuf)
  assert(vim.lsp.buf_attach_client(kbuf, client_id), 'buf_attach_client failed (kernel file)')
  local function problems(l)
    local r = {}
    for _, d in ipairs(l or {}) do
      if d.severity == 1 or d.severity == 2 then table.insert(r, d.code .. '@' .. d.range.start.line) end
    end
    table.sort(r)
    return r
  end
  local clean = wait_diags(kuri, 0, function() return true end, 'diagnostics of linux-2015-entry_64.S')
  eq('clean kernel file: no warning or error', problems(clean), {})
  local lens = client.request_sync('textDocument/codeLens', { textDocument = { uri = kuri } }, 10000, kbuf)
  local titles = {}
  for _, l in ipairs((lens and lens.result) or {}) do
    table.insert(titles, (l.range.start.line + 1) .. ': ' .. ((l.command and l.command.title) or ''):match('^[^·]+·[^·]+·[^·]+'))
  end
  table.sort(titles)
  eq('a CodeLens per return with its verdict, and one on the entry', titles, { '138: SYSRET · 9/9 conditions proven · 2 paths ', '223: SYSRET · 9/9 conditions proven · 3 paths ', '273: IRET · 3/3 conditions proven · 18 paths ', '53: entry_SYSCALL_64 · 3 returns to user mode · 3 ok ' })
  local khov = client.request_sync('textDocument/hover', { textDocument = { uri = kuri }, position = { line = 222, character = 3 } }, 5000, kbuf)
  local ktext = (khov and khov.result and khov.result.contents and (khov.result.contents.value or '')) or ''
  check('hover on the returning macro lists its proven conditions', ktext:find('rcx canonical (48-bit) — proven', 1, true) ~= nil, 'hover: ' .. ktext)
  -- a memory operand's symbolic state: line 172 `movq RIP(%rsp), %r11`, the cursor on the operand's '%'
  local mhov = client.request_sync('textDocument/hover', { textDocument = { uri = kuri }, position = { line = 171, character = 10 } }, 5000, kbuf)
  local mtext = (mhov and mhov.result and mhov.result.contents and (mhov.result.contents.value or '')) or ''
  eq('hover on the memory operand RIP(%rsp): pt_regs->ip, its value before and after, the entry', mtext, table.concat({
    '**`RIP(%rsp)`** = `128(%rsp)` (from entry_SYSCALL_64)',
    '',
    'address: pt_regs->ip at `percpu.cpu_current_top_of_stack-0x28` — 8 bytes read',
    '',
    'before: `ptregs.ip` — pt_regs->ip after the calls into C',
    '',
    'unchanged by this instruction',
  }, '\n'))
  -- a write: line 110 `movq %rax, RAX(%rsp)` replaces -ENOSYS (in hex) with the system call's return value
  -- (the cursor on the base register: %rsp's value comes first, then the operand it addresses)
  local whov = client.request_sync('textDocument/hover', { textDocument = { uri = kuri }, position = { line = 109, character = 18 } }, 5000, kbuf)
  local wtext = (whov and whov.result and whov.result.contents and (whov.result.contents.value or '')) or ''
  check('hover on the memory operand RAX(%rsp): written, before 0xffffffffffffffda, after the return value',
    wtext:find('address: pt_regs->ax at `percpu.cpu_current_top_of_stack-0x58` — 8 bytes written\n\nbefore: `0xffffffffffffffda`\n\nafter: `syscall.ret@L108` — the system call\'s return value', 1, true) ~= nil, 'hover: ' .. wtext)
  local kbefore = count_of(kuri)
  vim.api.nvim_buf_set_lines(kbuf, 187, 189, false, {})
  local broken = wait_diags(kuri, kbefore, function(l) return #problems(l) > 0 end, 'a finding after deleting the canonical check')
  eq('without the canonical check: sysret-noncanonical-rip at the SYSRET (line 221)', problems(broken), { 'sysret-noncanonical-rip@220' })
  local finding
  for _, d in ipairs(broken) do if d.code == 'sysret-noncanonical-rip' then finding = d end end
  local acts = client.request_sync('textDocument/codeAction', { textDocument = { uri = kuri }, range = finding.range, context = { diagnostics = { finding } } }, 5000, kbuf)
  local act = acts and acts.result and acts.result[1]
  local line = act and act.command and act.command.arguments and act.command.arguments[1] or ''
  check('code action: the replay command of the finding', act ~= nil and act.title == 'Copy replay command for sysret-noncanonical-rip' and line:find('^npx entry%-review simulate ') ~= nil and line:find('%-%-entry entry_SYSCALL_64', 1, false) ~= nil, 'actions: ' .. show(acts and acts.result))
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  failed = failed + 1
  out('FAIL Lua error: ' .. tostring(err))
end
if client_id then
  local c = vim.lsp.get_client_by_id(client_id)
  if c then c.stop() end
  vim.wait(3000, function() return exit_code ~= nil end, 20)
  check('server exits cleanly after shutdown/exit', exit_code ~= nil and exit_code.code == 0, 'exit: ' .. show(exit_code))
end
out(string.format('nvim: %d passed, %d failed', passed, failed))
if failed > 0 or passed == 0 then
  pcall(vim.cmd, 'cquit 1')
  os.exit(1)
else
  pcall(vim.cmd, 'qall!')
  os.exit(0)
end
