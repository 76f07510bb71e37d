#!/usr/bin/python3
"""deps-check: every program and module that the tests, the benchmarks and
`make run` use must come from a package that scripts/install-deps.sh
installs, so that `make check` passes on a fresh Debian 12 machine and not
only on one where somebody installed a package by hand.

Three inputs:

  scripts/packages.txt   the install list (one package a line, # comments);
  scripts/test-needs.txt the manifest: what the tests, bench/ and make run
                         need, one entry a line (format below);
  the scanned files      tests/**/*.py, bench/*.py, and the shell scripts
                         bench/*.sh, bench/peers/*.sh, scripts/*.sh.

The scanner finds, in Python (ast): imports, the program that starts each
argument list given to subprocess.run/Popen/call/check_call/check_output
(following a list held in a variable, returned by a function of the file,
or passed through a wrapper such as `def run(*args)`), shutil.which()
arguments, and module-level constants holding absolute program paths; in
shell: the words in command position (after skipping assignments,
redirections, keywords, builtins, functions defined in the scanned scripts,
case patterns and here-documents), `command -v NAME`, and the scripts of
`sh -c`, `trap`, `python3 -c` and `$(...)`. A `$VAR` command word is
resolved through the scripts' own `VAR=word` or `VAR=${X:-word}`
assignments; other computed words are left out (-v lists them).

Then, on this machine: each program is looked up on the system PATH
(/usr/sbin:/usr/bin:/sbin:/bin), each Python module imported by
/usr/bin/python3 -I, each Perl module required by /usr/bin/perl; the file
found is mapped to its package with dpkg -S, and that package must be in
the closure of the install list over Depends and Pre-Depends (not
Recommends or Suggests; `a | b` and virtual packages handled as apt does),
or in the base that every Debian system has (Essential: yes or Priority:
required, and their Depends). Found programs of the base and the Python
standard library need no manifest line; anything else does.

For the package of each manifest entry that the install list brings, each
Recommends that the list leaves out needs a decision in the manifest:
install it (list what the tests use from it and add it to packages.txt) or
say `without PACKAGE RECOMMENDED  # why`. That is the swaks case: swaks
only Recommends libnet-ssleay-perl, its TLS, and --no-install-recommends
left it out.

Manifest lines (after them, `# why`; blank lines and comments ignored):

  program NAME|/ABS/PATH      a program run by a test, a bench script or make run
  python MODULE               a Python module that is not in the standard library
  perl Module::Name           a Perl module that a program needs (swaks --tls)
  optional NAME               a program used only when present (a fallback)
  extracted PACKAGE           a Debian package downloaded with apt-get download
                              and unpacked with dpkg-deb -x, never installed
  without PACKAGE RECOMMENDED a Recommends of PACKAGE that the tests do without

Prints "deps-check: N passed, N failed"; exits 1 on any failure.
"""
import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import time

SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
PYTHON = "/usr/bin/python3"
PERL = "/usr/bin/perl"
PKG_LIST = "scripts/packages.txt"
MANIFEST = "scripts/test-needs.txt"

SH_BUILTINS = {
    ".", ":", "[", "alias", "bg", "break", "cd", "command", "continue", "echo", "eval",
    "exec", "exit", "export", "false", "fg", "getopts", "hash", "jobs", "kill", "local",
    "printf", "pwd", "read", "readonly", "return", "set", "shift", "test", "times", "trap",
    "true", "type", "ulimit", "umask", "unalias", "unset", "wait",
}
SH_KEYWORDS = {
    "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until",
    "for", "in", "{", "}", "!", "function", "[[", "]]",
}
# Programs that run the command given after their own options.
SH_WRAPPERS = {"exec", "command", "env", "nohup", "time", "nice"}
SUBPROCESS_FUNCS = {"run", "Popen", "call", "check_call", "check_output"}
SHELL_STRING_FUNCS = {("os", "system"), ("os", "popen"), ("subprocess", "getoutput"),
                      ("subprocess", "getstatusoutput")}
IMPORT_FUNCS = {"importorskip", "import_module", "__import__"}
ABS_PROGRAM = re.compile(r"^/(usr/)?(local/)?s?bin/[^/\s]+$")
ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=")
VAR_WORD = re.compile(r'^"?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"?$')
DEFAULT_WORD = re.compile(r'^"?\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}$`"\']*)\}"?$')


class Use:
    """One place where a scanned file uses something: kind is program,
    python, perl or download (a package fetched with apt-get download)."""

    def __init__(self, kind, name, path, line, how=""):
        self.kind, self.name, self.path, self.line, self.how = kind, name, path, line, how

    def where(self):
        return "%s:%d" % (self.path, self.line)


class Scan:
    """What the scanned files use, and what the scanner could not follow."""

    def __init__(self, root):
        self.root = root
        self.uses = []
        self.unresolved = []        # (path, line, text): computed program words
        self.sh_assign = {}         # VAR -> set of literal values
        self.sh_functions = set()
        self.download_functions = set()

    def add(self, kind, name, path, line, how=""):
        self.uses.append(Use(kind, name, path, line, how))


# ---------------------------------------------------------------- shell

class Word:
    def __init__(self, raw, value, line, subs):
        self.raw = raw          # the text as written
        self.value = value      # after quote removal, None when it expands anything
        self.line = line
        self.subs = subs        # [(script text, line)] of $(...) and `...`


def _skip_quoted(text, i, line):
    """From an opening ' or ", the index after the closing quote."""
    q = text[i]
    i += 1
    while i < len(text):
        c = text[i]
        if c == "\n":
            line += 1
        if q == '"' and c == "\\":
            if i + 1 < len(text) and text[i + 1] == "\n":
                line += 1
            i += 2
            continue
        if q == '"' and c == "$" and text.startswith("$(", i):
            i, line = _skip_group(text, i + 2, line, ")")
            continue
        if c == q:
            return i + 1, line
        i += 1
    return i, line


def _skip_group(text, i, line, closer):
    """From inside $( or ${, the index after the matching closer."""
    opener = "(" if closer == ")" else "{"
    depth = 1
    while i < len(text):
        c = text[i]
        if c == "\n":
            line += 1
        if c == "\\":
            i += 2
            continue
        if c in "'\"":
            i, line = _skip_quoted(text, i, line)
            continue
        if c == "`":
            j = text.find("`", i + 1)
            i = len(text) if j < 0 else j + 1
            continue
        if c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth == 0:
                return i + 1, line
        i += 1
    return i, line


def _read_word(text, i, line):
    """One shell word from i: (Word, index after it, line after it)."""
    start, start_line = i, line
    value = []
    literal = True
    subs = []
    while i < len(text):
        c = text[i]
        if c in " \t\n;&|()<>":
            break
        if c == "\\":
            if i + 1 < len(text) and text[i + 1] == "\n":
                line += 1
                i += 2
                continue
            value.append(text[i + 1:i + 2])
            i += 2
            continue
        if c == "'":
            j, line = _skip_quoted(text, i, line)
            value.append(text[i + 1:j - 1])
            i = j
            continue
        if c == '"':
            j, nline = _skip_quoted(text, i, line)
            inner = text[i + 1:j - 1]
            for m in re.finditer(r"\$\(", inner):
                if not inner.startswith("$((", m.start()):
                    k, _ = _skip_group(inner, m.end(), 0, ")")
                    subs.append((inner[m.end():k - 1], line + inner.count("\n", 0, m.start())))
            for m in re.finditer(r"`([^`]*)`", inner):
                subs.append((m.group(1), line + inner.count("\n", 0, m.start())))
            if "$" in inner or "`" in inner:
                literal = False
            value.append(re.sub(r"\\([\\$`\"])", r"\1", inner))
            i, line = j, nline
            continue
        if c == "`":
            j = text.find("`", i + 1)
            j = len(text) if j < 0 else j
            subs.append((text[i + 1:j], line))
            line += text.count("\n", i, j)
            literal = False
            i = j + 1
            continue
        if c == "$":
            literal = False
            if text.startswith("$((", i):
                i, line = _skip_group(text, i + 3, line, ")")
                i += 1 if i < len(text) and text[i] == ")" else 0
                continue
            if text.startswith("$(", i):
                j, nline = _skip_group(text, i + 2, line, ")")
                subs.append((text[i + 2:j - 1], line))
                i, line = j, nline
                continue
            if text.startswith("${", i):
                i, line = _skip_group(text, i + 2, line, "}")
                continue
            i += 1
            while i < len(text) and (text[i].isalnum() or text[i] == "_"):
                i += 1
            if i < len(text) and text[i - 1] == "$" and text[i] in "@*#?$!-0123456789":
                i += 1
            continue
        value.append(c)
        i += 1
    return Word(text[start:i], "".join(value) if literal else None, start_line, subs), i, line


def sh_tokens(text, line=1):
    """Tokens of a shell script: Word, or ("op", text, line); redirections are
    ("redir", op, line) and the heredoc bodies are skipped."""
    toks = []
    heredocs = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and text.startswith("\\\n", i):
            i += 2
            line += 1
            continue
        if c in " \t\r":
            i += 1
            continue
        if c == "\n":
            toks.append(("op", "\n", line))
            i += 1
            line += 1
            for delim, strip in heredocs:
                while i < n:
                    j = text.find("\n", i)
                    j = n if j < 0 else j
                    body = text[i:j]
                    i = j + 1
                    line += 1
                    if (body.lstrip("\t") if strip else body) == delim:
                        break
            heredocs = []
            continue
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        two = text[i:i + 2]
        if two in ("&&", "||", ";;"):
            toks.append(("op", two, line))
            i += 2
            continue
        if c in ";&|()":
            toks.append(("op", c, line))
            i += 1
            continue
        if c in "<>":
            m = re.match(r"<<-|<<|>>|>&|<&|>\||<>|<|>", text[i:])
            op = m.group(0)
            i += len(op)
            if op in ("<<", "<<-"):
                while i < n and text[i] in " \t":
                    i += 1
                w, i, line = _read_word(text, i, line)
                delim = w.value if w.value is not None else w.raw.strip("'\"\\")
                heredocs.append((delim, op == "<<-"))
                continue
            toks.append(("redir", op, line))
            continue
        w, i, line = _read_word(text, i, line)
        if re.fullmatch(r"[0-9]+", w.raw) and i < n and text[i] in "<>":
            continue        # the fd of a redirection such as 2>&1
        toks.append(w)
    toks.append(("op", "\n", line))
    return toks


def _is_op(tok, op):
    return isinstance(tok, tuple) and tok[1] == op


def scan_shell(scan, text, path, line=1, collect_only=False):
    """Finds the commands of a shell script (or of the script of sh -c)."""
    toks = sh_tokens(text, line)
    expect = True          # the next word is in command position
    state = "cmd"          # cmd, for, case-subject, case-in, pattern
    cmd = None             # words of the simple command being read
    skip_next = False      # the word after a redirection operator
    func_stack = []        # (name, depth at which its body opened)
    depth = 0
    current_fn = None
    pending_fn = None

    def finish(words):
        if not words:
            return
        name_w, args = words[0], words[1:]
        sh_command(scan, name_w, args, path, current_fn, collect_only)

    for k, tok in enumerate(toks):
        if isinstance(tok, Word):
            for sub, sline in tok.subs:
                scan_shell(scan, sub, path, sline, collect_only)
            if skip_next:
                skip_next = False
                continue
            v = tok.value
            if state == "for":
                if v == "do":
                    state, expect = "cmd", True
                continue
            if state == "case-subject":
                state = "case-in"
                continue
            if state == "case-in":
                if v == "in":
                    state = "pattern"
                continue
            if state == "pattern":
                if v == "esac":
                    state, expect = "cmd", False
                continue
            if cmd is not None:
                cmd.append(tok)
                continue
            if not expect:
                continue
            if v is not None and v in SH_KEYWORDS and tok.raw == v:
                if v == "for":
                    state = "for"
                elif v == "case":
                    state = "case-subject"
                elif v in ("esac", "fi", "done"):
                    expect = False
                elif v == "{":
                    depth += 1
                    if pending_fn:
                        func_stack.append((pending_fn, depth))
                        current_fn, pending_fn = pending_fn, None
                elif v == "}":
                    if func_stack and func_stack[-1][1] == depth:
                        func_stack.pop()
                        current_fn = func_stack[-1][0] if func_stack else None
                    depth -= 1
                    expect = False
                continue
            m = ASSIGN.match(tok.raw)
            if m:
                val = tok.raw[m.end():]
                lit = None
                d = DEFAULT_WORD.match(val)
                if d:
                    lit = d.group(1)
                elif "$" not in val and "`" not in val:
                    lit = val.strip("'\"")
                if lit:
                    scan.sh_assign.setdefault(m.group(1), set()).add(lit)
                continue
            # NAME() { ... } or NAME() ( ... ): a function definition.
            if (v is not None and k + 2 < len(toks) and _is_op(toks[k + 1], "(")
                    and _is_op(toks[k + 2], ")")):
                scan.sh_functions.add(v)
                pending_fn = v
                skip_next = False
                expect = False
                continue
            cmd = [tok]
            continue
        kind, op, _ = tok
        if kind == "redir":
            skip_next = True
            continue
        if state == "pattern":
            if op == ")":
                state, expect = "cmd", True
            continue
        if state in ("for", "case-subject", "case-in"):
            continue
        if cmd is not None:
            finish(cmd)
            cmd = None
        if op == ";;":
            state = "pattern"
            continue
        if op == "(":
            if isinstance(toks[k - 1], Word) and _is_op(toks[k + 1], ")"):
                continue        # the () of a function definition
            depth += 1
            if pending_fn:
                func_stack.append((pending_fn, depth))
                current_fn, pending_fn = pending_fn, None
            expect = True
            continue
        if op == ")":
            if _is_op(toks[k - 1], "(") and isinstance(toks[k - 2], Word):
                continue        # the () of a function definition
            if func_stack and func_stack[-1][1] == depth:
                func_stack.pop()
                current_fn = func_stack[-1][0] if func_stack else None
            depth -= 1
            expect = False
            continue
        expect = True
    if cmd is not None:
        finish(cmd)


def sh_command(scan, name_w, args, path, current_fn, collect_only):
    """One simple command: its program and the commands inside its arguments."""
    if name_w.value is not None:
        names = [name_w.value]
    else:
        m = DEFAULT_WORD.match(name_w.raw)
        v = VAR_WORD.match(name_w.raw)
        if m:
            names = [m.group(1)]
        elif v and scan.sh_assign.get(v.group(1)):
            names = sorted(scan.sh_assign[v.group(1)])
        else:
            if not collect_only:
                scan.unresolved.append((path, name_w.line, name_w.raw))
            inner_commands(scan, None, name_w.line, args, path, collect_only)
            return
    for name in names:
        sh_named(scan, name, name_w.line, args, path, current_fn, collect_only)


def sh_named(scan, name, line, args, path, current_fn, collect_only):
    vals = [a.value for a in args]
    if name in SH_WRAPPERS:
        rest = list(args)
        if name == "command" and rest and rest[0].value in ("-v", "-V"):
            if len(rest) > 1 and rest[1].value and not collect_only:
                scan.add("program", rest[1].value, path, rest[1].line, "command -v")
            return
        while rest and rest[0].value is not None and (
                rest[0].value.startswith("-") or ASSIGN.match(rest[0].value)):
            rest.pop(0)
        if rest:
            sh_command(scan, rest[0], rest[1:], path, current_fn, collect_only)
        return
    if name == "trap" and args and args[0].value:
        scan_shell(scan, args[0].value, path, args[0].line, collect_only)
        return
    if name in SH_BUILTINS:
        return
    if name == "apt-get" and "download" in vals and current_fn:
        scan.download_functions.add(current_fn)
    if not collect_only:
        scan.add("program", name, path, line, "shell")
        if name in scan.download_functions and args and args[0].value:
            scan.add("download", args[0].value, path, args[0].line, "via " + name)
    inner_commands(scan, name, line, args, path, collect_only)


def inner_commands(scan, name, line, args, path, collect_only):
    """sh -c SCRIPT, python3 -c CODE, perl -MModule and apt-get download PKG
    in the words of one command (shell or a Python argument list)."""
    words = [name] + [a.value for a in args]
    lines = [line] + [a.line for a in args]
    for j, w in enumerate(words):
        if w is None:
            continue
        base = os.path.basename(w)
        nxt = words[j + 1:]
        if base in ("sh", "bash", "dash") and len(nxt) >= 2 and nxt[0] == "-c" and nxt[1]:
            scan_shell(scan, nxt[1], path, lines[j + 2], collect_only)
        if re.fullmatch(r"python3(\.[0-9]+)?", base):
            for q in range(len(nxt) - 1):
                if nxt[q] == "-c" and nxt[q + 1]:
                    if not collect_only:
                        scan_python_code(scan, nxt[q + 1], path, lines[j + q + 2],
                                         os.path.dirname(os.path.join(scan.root, path)))
                    break
        if base == "perl" and not collect_only:
            for q, a in enumerate(nxt):
                if a and a.startswith("-M") and len(a) > 2:
                    scan.add("perl", a[2:].split("=")[0], path, lines[j + 1 + q], "perl -M")
                if a == "-e" and q + 1 < len(nxt) and nxt[q + 1]:
                    for m in re.finditer(r"\b(?:use|require)\s+([A-Z][\w:]*)", nxt[q + 1]):
                        scan.add("perl", m.group(1), path, lines[j + 2 + q], "perl -e")
        if base == "apt-get" and "download" in nxt and not collect_only:
            for a, ln in zip(nxt[nxt.index("download") + 1:], lines[j + 1 + nxt.index("download") + 1:]):
                if a and not a.startswith("-"):
                    scan.add("download", a, path, ln, "apt-get download")


# ---------------------------------------------------------------- Python

def _local_modules(d):
    names = set()
    try:
        for e in os.listdir(d):
            if e.endswith(".py"):
                names.add(e[:-3])
            elif os.path.isfile(os.path.join(d, e, "__init__.py")):
                names.add(e)
    except OSError:
        pass
    return names


class PyFile:
    """The uses in one Python file (or in the code of a python3 -c, or in
    Python source held in a module-level string)."""

    def __init__(self, scan, tree, path, offset, local_dir):
        self.scan, self.tree, self.path, self.offset = scan, tree, path, offset
        self.local = _local_modules(local_dir)
        self.local_dir = local_dir
        self.consts = {}
        self.funcs = {}
        self.runners = {}           # function name -> index of its argv, or "*"
        self.parent_fn = {}         # id(node) -> the function it is in
        self.assigns = {}           # (id(function) or None, name) -> [value nodes]
        self.returns = {}           # id(function) -> [Return nodes]
        self.nodes = []
        self.subprocess_names = set()
        self._index(tree, None)
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                self.consts[node.targets[0].id] = node.value.value

    def _index(self, node, fn):
        """One walk: each node's function, the assignments and returns of each scope."""
        for child in ast.iter_child_nodes(node):
            self.nodes.append(child)
            self.parent_fn[id(child)] = fn
            key = id(fn) if fn is not None else None
            if isinstance(child, ast.Assign):
                for t in child.targets:
                    if isinstance(t, ast.Name):
                        self.assigns.setdefault((key, t.id), []).append(child.value)
            elif isinstance(child, ast.Return) and fn is not None:
                self.returns.setdefault(key, []).append(child)
            elif isinstance(child, ast.ImportFrom) and child.module == "subprocess":
                self.subprocess_names |= {a.asname or a.name for a in child.names
                                          if a.name in SUBPROCESS_FUNCS}
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.funcs.setdefault(child.name, child)
                self._index(child, child)
            else:
                self._index(child, fn)

    def line(self, node):
        return self.offset + getattr(node, "lineno", 1) - 1

    def add(self, kind, name, node, how):
        self.scan.add(kind, name, self.path, self.line(node), how)

    def fn_of(self, node):
        return self.parent_fn.get(id(node))

    # A string: a literal, or a name bound to one literal.
    def resolve_str(self, node, fn):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            vals = self.assigns.get((id(fn) if fn is not None else None, node.id))
            if vals:
                strs = {v.value for v in vals if isinstance(v, ast.Constant) and isinstance(v.value, str)}
                return strs.pop() if len(strs) == 1 and len(vals) == 1 else None
            return self.consts.get(node.id)
        return None

    # A string with what is computed in it as $_ (a script for sh -c).
    def resolve_template(self, node, fn):
        s = self.resolve_str(node, fn)
        if s is not None:
            return s
        if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod)
                and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)):
            return re.sub(r"%(\([^)]*\))?[-#0 +]*[0-9]*(\.[0-9]+)?[sdirfxXeEgG]", "$_", node.left.value)
        if isinstance(node, ast.JoinedStr):
            return "".join(v.value if isinstance(v, ast.Constant) else "$_" for v in node.values)
        return None

    # An argument list: [list of element nodes] for each way it can be built,
    # or ("param", i) / ("param", "*") when it is a parameter of fn.
    def resolve_list(self, node, fn, depth=0):
        if depth > 6 or node is None:
            return []
        if isinstance(node, (ast.List, ast.Tuple)):
            return [list(node.elts)]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            out = []
            right = node.right.elts if isinstance(node.right, (ast.List, ast.Tuple)) else []
            for cand in self.resolve_list(node.left, fn, depth + 1):
                out.append(cand + list(right) if isinstance(cand, list) else cand)
            return out
        if isinstance(node, ast.Name):
            if fn is not None:
                a = fn.args
                params = [p.arg for p in a.posonlyargs + a.args]
                if node.id in params:
                    return [("param", params.index(node.id))]
                if a.vararg is not None and node.id == a.vararg.arg:
                    return [("param", "*")]
            vals = self.assigns.get((id(fn) if fn is not None else None, node.id))
            if not vals and fn is not None:
                vals, fn = self.assigns.get((None, node.id)), None
            out = []
            for v in vals or []:
                out += self.resolve_list(v, fn, depth + 1)
            return out
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "list" and len(node.args) == 1:
                return self.resolve_list(node.args[0], fn, depth + 1)
            callee = self.funcs.get(node.func.id)
            if callee is not None:
                out = []
                for ret in self.returns.get(id(callee), []):
                    out += [c for c in self.resolve_list(ret.value, callee, depth + 1)
                            if isinstance(c, list)]
                return out
        return []

    def argv(self, elts, fn, node, how):
        """The program of one argument list, and the commands inside it."""
        if not elts:
            return
        first = self.resolve_str(elts[0], fn)
        if first is None:
            self.scan.unresolved.append((self.path, self.line(elts[0]),
                                         ast.unparse(elts[0])[:60]))
        elif "/" not in first or first.startswith("/"):
            self.scan.add("program", first, self.path, self.line(elts[0]), how)
        args = [Word("", self.resolve_template(e, fn), self.line(e), []) for e in elts[1:]]
        inner_commands(self.scan, first, self.line(elts[0]), args, self.path, False)

    def is_subprocess_call(self, call):
        f = call.func
        if isinstance(f, ast.Attribute) and f.attr in SUBPROCESS_FUNCS:
            return isinstance(f.value, ast.Name) and f.value.id == "subprocess"
        return isinstance(f, ast.Name) and f.id in self.subprocess_names

    def run(self):
        calls = [n for n in self.nodes if isinstance(n, ast.Call)]
        for node in self.nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.module(a.name, node)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                self.module(node.module, node)
        for node in self.tree.body:
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)):
                s = node.value.value
                if ABS_PROGRAM.match(s):
                    self.add("program", s, node.value, "constant")
                elif "import" in s and "\n" in s:
                    self.embedded(s, node.value)
        for call in calls:
            fn = self.fn_of(call)
            f = call.func
            if self.is_subprocess_call(call):
                argv = call.args[0] if call.args else next(
                    (k.value for k in call.keywords if k.arg == "args"), None)
                shell = any(k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value
                            for k in call.keywords)
                s = self.resolve_str(argv, fn) if argv is not None else None
                if shell and s is not None:
                    scan_shell(self.scan, s, self.path, self.line(argv))
                    continue
                for cand in self.resolve_list(argv, fn):
                    if isinstance(cand, tuple):
                        if fn is not None:
                            self.runners[fn.name] = cand[1]
                    else:
                        self.argv(cand, fn, call, "subprocess")
                continue
            if (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                    and (f.value.id, f.attr) in SHELL_STRING_FUNCS and call.args):
                s = self.resolve_str(call.args[0], fn)
                if s is not None:
                    scan_shell(self.scan, s, self.path, self.line(call.args[0]))
                continue
            if (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "os"
                    and re.fullmatch(r"exec[lv]p?e?", f.attr) and call.args):
                s = self.resolve_str(call.args[0], fn)
                if s is not None:
                    self.add("program", s, call.args[0], "os." + f.attr)
                continue
            if (isinstance(f, ast.Attribute) and f.attr == "which" and isinstance(f.value, ast.Name)
                    and f.value.id == "shutil" and call.args):
                s = self.resolve_str(call.args[0], fn)
                if s is not None:
                    self.add("program", s, call.args[0], "shutil.which")
                continue
            fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            if fname in IMPORT_FUNCS and call.args:
                s = self.resolve_str(call.args[0], fn)
                if s is not None:
                    self.module(s, call.args[0])
        # Calls of the wrappers found above (def run(*args): subprocess.run(list(args))).
        done = set()
        for _ in range(3):
            for call in calls:
                f = call.func
                if not (isinstance(f, ast.Name) and f.id in self.runners) or id(call) in done:
                    continue
                done.add(id(call))
                spec, fn = self.runners[f.id], self.fn_of(call)
                if spec == "*":
                    self.argv(list(call.args), fn, call, "via " + f.id + "()")
                elif spec < len(call.args):
                    for cand in self.resolve_list(call.args[spec], fn):
                        if isinstance(cand, list):
                            self.argv(cand, fn, call, "via " + f.id + "()")
                        elif fn is not None:
                            self.runners[fn.name] = cand[1]

    def module(self, dotted, node):
        top = dotted.split(".")[0]
        if top in self.local or top == "__future__":
            return
        self.add("python", top, node, "import")

    def embedded(self, s, node):
        """Python source in a string (a child script a test writes out)."""
        try:
            tree = ast.parse(s)
        except (SyntaxError, ValueError):
            return
        if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree)):
            PyFile(self.scan, tree, self.path, self.line(node), self.local_dir).run()


def scan_python_code(scan, text, path, line, local_dir):
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    PyFile(scan, tree, path, line, local_dir).run()


def scan_python_file(scan, rel):
    full = os.path.join(scan.root, rel)
    with open(full, encoding="utf-8") as f:
        text = f.read()
    try:
        tree = ast.parse(text, rel)
    except SyntaxError as e:
        scan.add("error", "syntax error: %s" % e.msg, rel, e.lineno or 1)
        return
    PyFile(scan, tree, rel, 1, os.path.dirname(full)).run()


def scanned_files(root):
    py, sh = [], []
    for base, dirs, files in os.walk(os.path.join(root, "tests")):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        py += [os.path.relpath(os.path.join(base, f), root) for f in sorted(files) if f.endswith(".py")]
    for d, ext, out in (("bench", ".py", py), ("bench", ".sh", sh), ("bench/peers", ".sh", sh),
                        ("scripts", ".sh", sh)):
        try:
            names = sorted(os.listdir(os.path.join(root, d)))
        except OSError:
            continue
        out += [os.path.join(d, f) for f in names if f.endswith(ext)]
    return sorted(set(py)), sh


def scan_tree(root):
    scan = Scan(root)
    py, sh = scanned_files(root)
    texts = {}
    for rel in sh:
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            texts[rel] = f.read()
    # First the functions, assignments and download wrappers of every
    # script (lib.sh is sourced by the others), then the commands.
    for _ in range(2):
        for rel in sh:
            scan_shell(scan, texts[rel], rel, collect_only=True)
    for rel in sh:
        scan_shell(scan, texts[rel], rel)
    for rel in py:
        scan_python_file(scan, rel)
    keep = []
    for u in scan.uses:
        if u.kind == "program":
            if u.name in scan.sh_functions or u.name in SH_BUILTINS:
                continue
            if "/" in u.name and not u.name.startswith("/"):
                continue        # the project's own programs (bin/tegamid)
            if not u.name or "$" in u.name:
                continue
        keep.append(u)
    scan.uses = sorted(keep, key=lambda u: (u.path, u.line))
    return scan, py, sh


# ---------------------------------------------------------------- packages

def _strip_comment(line):
    body, _, why = line.partition("#")
    return body.strip(), why.strip()


def read_packages(path):
    pkgs = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            body, _ = _strip_comment(line)
            for p in body.split():
                pkgs.setdefault(p, n)
    return pkgs


class Entry:
    def __init__(self, kind, args, line, why):
        self.kind, self.args, self.line, self.why = kind, args, line, why
        self.name = args[0] if args else ""


def read_manifest(path):
    entries, errors = [], []
    arity = {"program": 1, "python": 1, "perl": 1, "optional": 1, "extracted": 1, "without": 2}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            body, why = _strip_comment(line)
            if not body:
                continue
            words = body.split()
            kind, args = words[0], words[1:]
            if kind not in arity:
                errors.append((n, "unknown kind %r (program, python, perl, optional, extracted, "
                                  "without)" % kind))
            elif len(args) != arity[kind]:
                errors.append((n, "%s takes %d word%s" % (kind, arity[kind], "s" if arity[kind] > 1 else "")))
            elif kind == "without" and not why:
                errors.append((n, "say after # why the tests do without %s" % args[1]))
            else:
                entries.append(Entry(kind, args, n, why))
    return entries, errors


def parse_deps(field):
    """Depends-style field: a list of groups, each a list of package names."""
    groups = []
    for group in field.split(","):
        alts = []
        for alt in group.split("|"):
            name = re.split(r"[\s(\[<]", alt.strip(), maxsplit=1)[0]
            name = name.split(":")[0]
            if name:
                alts.append(name)
        if alts:
            groups.append(alts)
    return groups


class Dpkg:
    """Installed packages from dpkg's status file."""

    def __init__(self, status_path):
        self.pkgs = {}
        self.providers = {}
        with open(status_path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for stanza in text.split("\n\n"):
            fields = {}
            key = None
            for line in stanza.split("\n"):
                if line[:1] in (" ", "\t"):
                    if key:
                        fields[key] += " " + line.strip()
                    continue
                key, _, val = line.partition(":")
                fields[key] = val.strip()
            name = fields.get("Package")
            if not name or not fields.get("Status", "").endswith(" installed"):
                continue
            p = self.pkgs.setdefault(name, {"depends": [], "recommends": [], "suggests": [],
                                            "base": False, "priority": ""})
            for k, dst in (("Depends", "depends"), ("Pre-Depends", "depends"),
                           ("Recommends", "recommends"), ("Suggests", "suggests")):
                if k in fields:
                    p[dst] += parse_deps(fields[k])
            p["priority"] = fields.get("Priority", p["priority"])
            if fields.get("Essential") == "yes" or fields.get("Priority") == "required":
                p["base"] = True
            for g in parse_deps(fields.get("Provides", "")):
                for v in g:
                    self.providers.setdefault(v, set()).add(name)

    def installed(self, name):
        return name in self.pkgs

    def candidates(self, name):
        """Installed packages that satisfy a dependency on name."""
        out = [name] if name in self.pkgs else []
        return out + sorted(self.providers.get(name, set()) - {name})

    def closure(self, roots):
        """roots and what they Depend or Pre-Depend on, transitively; for
        `a | b`, an alternative already in the set, else the first one that
        is installed (apt's choice on a machine that has neither)."""
        seen = set()
        todo = [r for r in roots if r in self.pkgs]
        inset = set(todo)
        while todo:
            p = todo.pop()
            if p in seen:
                continue
            seen.add(p)
            for alts in self.pkgs[p]["depends"]:
                cands = [self.candidates(a) for a in alts]
                if any(c in seen or c in inset for cs in cands for c in cs):
                    continue
                for cs in cands:
                    if cs:
                        for c in cs:
                            inset.add(c)
                            todo.append(c)
                        break
        return seen

    def base(self):
        return {n for n, p in self.pkgs.items() if p["base"]}


def usr_aliases(path):
    out = [path]
    for pre in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if path.startswith(pre + "/"):
            out.append("/usr" + path)
        elif path.startswith("/usr" + pre + "/"):
            out.append(path[4:])
    return out


def path_chain(path):
    """path, each link it goes through, and its real path, with the /usr
    aliases of a merged /usr (dpkg knows one of the two names)."""
    chain = []
    p = path
    for _ in range(10):
        chain += usr_aliases(p)
        if not os.path.islink(p):
            break
        p = os.path.normpath(os.path.join(os.path.dirname(p), os.readlink(p)))
    chain += usr_aliases(os.path.realpath(path))
    seen = set()
    return [c for c in chain if not (c in seen or seen.add(c))]


_owner_cache = {}


def dpkg_owners(paths):
    """{path: [packages]} for the paths some installed package owns, from one
    dpkg -S (remembered, for the self-test's several runs)."""
    todo = sorted(p for p in set(paths) if p not in _owner_cache)
    if todo:
        pats = [re.sub(r"([*?\[\\])", r"\\\1", p) for p in todo]
        r = subprocess.run(["dpkg-query", "-S"] + pats, capture_output=True, text=True)
        for p in todo:
            _owner_cache[p] = []
        for line in r.stdout.splitlines():
            if line.startswith("diversion by"):
                continue
            i = line.find(": /")
            if i < 0:
                continue
            pkgs = [p.strip().split(":")[0] for p in line[:i].split(",")]
            _owner_cache.setdefault(line[i + 2:], []).extend(pkgs)
    return {p: _owner_cache[p] for p in paths if _owner_cache.get(p)}


PY_FIND = r"""
import importlib, json, os, sys
out = {}
for m in sys.argv[1:]:
    try:
        mod = importlib.import_module(m)
    except Exception as e:
        out[m] = [None, "%s: %s" % (type(e).__name__, e)]
        continue
    f = getattr(mod, "__file__", None)
    if not f:
        path = list(getattr(mod, "__path__", []) or [])
        f = path[0] if path else os.path.realpath(sys.executable)
    out[m] = [f, ""]
print(json.dumps(out))
"""

PERL_FIND = r"""
for my $m (@ARGV) {
    (my $f = "$m.pm") =~ s{::}{/}g;
    if (eval { require $f; 1 }) { print "$m\t$INC{$f}\n" }
    else { my $e = $@; $e =~ s/ \(.*//s; $e =~ s/\n.*//s; print "$m\t\t$e\n" }
}
"""


_module_cache = {"python": {}, "perl": {}}


def find_modules(py_mods, pl_mods):
    """{module: (file or None, error)} for Python and Perl modules, from one
    /usr/bin/python3 -I and one /usr/bin/perl run side by side."""
    import json
    procs = {}
    for kind, mods, argv in (("python", py_mods, [PYTHON, "-I", "-c", PY_FIND]),
                             ("perl", pl_mods, [PERL, "-e", PERL_FIND])):
        todo = sorted(m for m in mods if m not in _module_cache[kind])
        if not todo:
            continue
        try:
            procs[kind] = (todo, subprocess.Popen(argv + todo, stdout=subprocess.PIPE,
                                                  stderr=subprocess.PIPE, text=True, cwd="/"))
        except OSError as e:
            for m in todo:
                _module_cache[kind][m] = (None, "cannot run %s: %s" % (argv[0], e))
    for kind, (todo, proc) in procs.items():
        out, err = proc.communicate()
        cache = _module_cache[kind]
        for m in todo:
            cache[m] = (None, "cannot run %s: %s" % (proc.args[0], err.strip()[:200]))
        if kind == "python":
            try:
                cache.update({m: tuple(v) for m, v in json.loads(out).items()})
            except ValueError:
                pass
        else:
            for line in out.splitlines():
                parts = line.split("\t")
                if len(parts) >= 2:
                    cache[parts[0]] = (parts[1] or None, parts[2] if len(parts) > 2 else "")
    return ({m: _module_cache["python"][m] for m in py_mods},
            {m: _module_cache["perl"][m] for m in pl_mods})


def find_program(name):
    if name.startswith("/"):
        return name if os.path.isfile(name) and os.access(name, os.X_OK) else None
    return shutil.which(name, path=SYSTEM_PATH)


# ---------------------------------------------------------------- the check

class Check:
    def __init__(self, root, status):
        self.root = root
        self.status = status
        self.failures = []
        self.passed = 0
        self.notes = []

    def fail(self, where, msg):
        self.failures.append("%s: %s" % (where, msg))

    def run(self):
        t0 = time.monotonic()
        root = self.root
        plist = os.path.join(root, PKG_LIST)
        mpath = os.path.join(root, MANIFEST)
        for p in (plist, mpath):
            if not os.path.isfile(p):
                self.fail(os.path.relpath(p, root), "missing")
        if self.failures:
            return
        listed = read_packages(plist)
        entries, errors = read_manifest(mpath)
        for n, msg in errors:
            self.fail("%s:%d" % (MANIFEST, n), msg)
        scan, py, sh = scan_tree(root)
        self.nfiles = (len(py), len(sh))
        dpkg = Dpkg(self.status)
        base_roots = dpkg.base()
        base = dpkg.closure(base_roots)
        for p, n in sorted(listed.items(), key=lambda x: x[1]):
            # Installed, or provided by an installed package (npm by NodeSource's nodejs).
            if not dpkg.candidates(p):
                self.fail("%s:%d" % (PKG_LIST, n), "%s is listed but not installed: run "
                          "`make deps` as root (or fix the name)" % p)
        closure = dpkg.closure(set(listed) | base_roots)
        self.dpkg, self.closure, self.base, self.listed = dpkg, closure, base, listed

        by_kind = {}
        for e in entries:
            by_kind.setdefault(e.kind, []).append(e)
        for u in scan.uses:
            if u.kind == "error":
                self.fail(u.where(), u.name)
        uses = [u for u in scan.uses if u.kind != "error"]

        # Look everything up at once: programs, modules, owners.
        progs = {u.name for u in uses if u.kind == "program"}
        progs |= {e.name for e in by_kind.get("program", [])}
        prog_path = {p: find_program(p) for p in progs}
        stdlib = set(sys.stdlib_module_names)
        py_mods = {u.name for u in uses if u.kind == "python"} | {e.name for e in by_kind.get("python", [])}
        pl_mods = {u.name for u in uses if u.kind == "perl"} | {e.name for e in by_kind.get("perl", [])}
        py_found, pl_found = find_modules(py_mods, pl_mods)
        files = [f for f in prog_path.values() if f]
        files += [v[0] for v in py_found.values() if v[0]]
        files += [v[0] for v in pl_found.values() if v[0]]
        chains = {f: path_chain(f) for f in files}
        owners = dpkg_owners(sorted({c for ch in chains.values() for c in ch}))

        def owner(f):
            for c in chains.get(f, []):
                if c in owners:
                    return owners[c]
            return []

        # The manifest's entries.
        prog_entries = {}
        for e in by_kind.get("program", []):
            prog_entries[e.name] = e
            if prog_path.get(e.name):
                prog_entries.setdefault(os.path.realpath(prog_path[e.name]), e)
        optional = {e.name: e for e in by_kind.get("optional", [])}
        extracted = {e.name: e for e in by_kind.get("extracted", [])}
        python_entries = {e.name: e for e in by_kind.get("python", [])}
        perl_entries = {e.name: e for e in by_kind.get("perl", [])}
        without = {(e.args[0], e.args[1]): e for e in by_kind.get("without", [])}
        used_entries = set()
        owners_of_entries = {}      # package -> [entry]

        firsts = {}
        for u in uses:
            firsts.setdefault((u.kind, u.name), []).append(u)
        for e in by_kind.get("program", []) + by_kind.get("python", []) + by_kind.get("perl", []):
            what = {"program": "program", "python": "Python module", "perl": "Perl module"}[e.kind]
            where = "%s:%d" % (MANIFEST, e.line)
            label = "%s %s%s" % (what, e.name, " (%s)" % e.why if e.why else "")
            us = firsts.get((e.kind, e.name), [])
            if us:
                label += ", used by %s%s" % (us[0].where(), " and %d more" % (len(us) - 1)
                                             if len(us) > 1 else "")
            if e.kind == "program":
                f, err = prog_path.get(e.name), ""
            elif e.kind == "python":
                if e.name in stdlib:
                    self.fail(where, "%s is in Python's standard library: drop the line" % e.name)
                    continue
                f, err = py_found.get(e.name, (None, ""))
            else:
                f, err = pl_found.get(e.name, (None, ""))
            if not f:
                self.fail(where, "%s is needed but not installed on this machine%s: add the "
                          "package that provides it to %s and run `make deps` as root%s"
                          % (label, " (%s)" % err if err else "", PKG_LIST, self.hint(e)))
                continue
            pk = owner(f)
            for p in pk:
                owners_of_entries.setdefault(p, []).append(e)
            if self.package_ok(where, label, f, pk):
                self.passed += 1

        # What the scanned files use.
        for (kind, name), us in sorted(firsts.items(), key=lambda x: (x[0][0], x[0][1])):
            u = us[0]
            more = " (and %d more place%s)" % (len(us) - 1, "s" if len(us) > 2 else "") if len(us) > 1 else ""
            where = u.where()
            if kind == "program":
                f = prog_path.get(name)
                e = prog_entries.get(name) or (f and prog_entries.get(os.path.realpath(f)))
                if e:
                    used_entries.add(id(e))
                    self.passed += 1
                    continue
                if name in optional:
                    used_entries.add(id(optional[name]))
                    self.passed += 1
                    continue
                if not f:
                    self.fail(where, "runs %s%s, which is not installed on this machine and not in "
                              "%s: add `program %s  # what uses it` there and its package to %s "
                              "(or `optional %s  # why` if the script does without it)"
                              % (name, more, MANIFEST, name, PKG_LIST, name))
                    continue
                pk = owner(f)
                if pk and any(p in base for p in pk):
                    self.passed += 1
                    continue
                if not pk:
                    self.fail(where, "runs %s%s (%s), which belongs to no Debian package: install it "
                              "from a package listed in %s and add `program %s` to %s"
                              % (name, more, f, PKG_LIST, name, MANIFEST))
                    continue
                add = "" if any(p in closure for p in pk) else " and %s to %s" % (pk[0], PKG_LIST)
                self.fail(where, "runs %s%s (%s, package %s), which %s does not list: add "
                          "`program %s  # what uses it` to it%s"
                          % (name, more, f, ", ".join(pk), MANIFEST, name, add))
            elif kind == "python":
                if name in python_entries:
                    used_entries.add(id(python_entries[name]))
                    self.passed += 1
                    continue
                f, err = py_found.get(name, (None, ""))
                if name not in stdlib:
                    pk = owner(f) if f else []
                    self.fail(where, "imports %s%s, which %s does not list: add `python %s  # what "
                              "uses it` to it%s" % (name, more, MANIFEST, name,
                                                     " and %s to %s" % (pk[0], PKG_LIST)
                                                     if pk and pk[0] not in closure else
                                                     "" if pk else " and the package that provides "
                                                     "it to %s" % PKG_LIST))
                    continue
                # The standard library needs no line, but its package must come.
                if not f:
                    self.fail(where, "imports %s%s (standard library), which %s cannot import "
                              "(%s): add the package that provides it to %s"
                              % (name, more, PYTHON, err, PKG_LIST))
                    continue
                if self.package_ok(where, "Python module %s%s" % (name, more), f, owner(f)):
                    self.passed += 1
            elif kind == "perl":
                if name in perl_entries:
                    used_entries.add(id(perl_entries[name]))
                    self.passed += 1
                    continue
                self.fail(where, "uses the Perl module %s%s, which %s does not list: add `perl %s  "
                          "# what uses it` to it" % (name, more, MANIFEST, name))
            elif kind == "download":
                if name in extracted:
                    used_entries.add(id(extracted[name]))
                    self.passed += 1
                    continue
                self.fail(where, "downloads the Debian package %s%s, which %s does not list: add "
                          "`extracted %s  # what uses it` to it" % (name, more, MANIFEST, name))

        # Each Recommends of a needed package: installed, or done without on purpose.
        for p, es in sorted(owners_of_entries.items()):
            if p in base or p not in closure:
                continue        # the base system, or failed above
            e = es[0]
            for alts in dpkg.pkgs[p]["recommends"]:
                if any(c in closure for a in alts for c in dpkg.candidates(a)):
                    continue
                if any(a in listed for a in alts):
                    continue        # listed, not installed yet: said above
                if any((p, a) in without for a in alts):
                    for a in alts:
                        if (p, a) in without:
                            used_entries.add(id(without[(p, a)]))
                    self.passed += 1
                    continue
                rec = " | ".join(alts)
                self.fail("%s:%d" % (MANIFEST, e.line),
                          "%s (package of %s %s) Recommends %s, which install-deps.sh leaves out "
                          "(--no-install-recommends). If a test needs it, list what the test uses "
                          "from it in %s and add %s to %s; if not, add `without %s %s  # why` to %s"
                          % (p, e.kind, e.name, rec, MANIFEST, alts[0], PKG_LIST, p, alts[0],
                             MANIFEST))
        for (p, r), e in sorted(without.items()):
            where = "%s:%d" % (MANIFEST, e.line)
            if any(c in closure for c in dpkg.candidates(r)):
                self.fail(where, "without %s %s, but %s is installed by %s: drop the line"
                          % (p, r, r, PKG_LIST))
            elif p not in dpkg.pkgs or not any(r in alts for alts in dpkg.pkgs[p]["recommends"]):
                self.fail(where, "%s does not Recommend %s (any more): drop the line" % (p, r))
            elif p not in owners_of_entries:
                self.fail(where, "no entry of %s comes from %s: drop the line" % (MANIFEST, p))
            elif r in owners_of_entries:
                self.fail(where, "%s provides %s, which the tests need: drop this line and add %s "
                          "to %s" % (r, ", ".join("%s %s" % (x.kind, x.name)
                                                 for x in owners_of_entries[r]), r, PKG_LIST))
        for e in entries:
            if e.kind in ("program", "python", "optional", "extracted") and id(e) not in used_entries:
                self.notes.append("%s:%d: %s %s is used by no scanned file (fine if it is used "
                                  "where the scanner does not look: %s)"
                                  % (MANIFEST, e.line, e.kind, e.name, e.why or "say where"))
        self.scan = scan
        self.elapsed = time.monotonic() - t0

    def package_ok(self, where, label, f, pk):
        """The file f of what label names comes from a package that the
        install list brings, or from the base system."""
        if not pk:
            self.fail(where, "%s is %s, which belongs to no Debian package (installed by hand?): "
                      "install it from a package and add that to %s" % (label, f, PKG_LIST))
            return False
        if any(p in self.closure for p in pk):
            return True
        why = self.pulled_weakly(pk[0])
        self.fail(where, "%s is %s from %s, which %s does not install%s: add %s to %s"
                  % (label, f, ", ".join(pk), PKG_LIST,
                     " (%s)" % why if why else
                     " (nothing there depends on it: it was installed here by hand)",
                     pk[0], PKG_LIST))
        return False

    def pulled_weakly(self, pkg):
        """Which packages of the closure only Recommend or Suggest pkg."""
        recs, sugs = [], []
        for p in sorted(self.closure):
            info = self.dpkg.pkgs.get(p)
            if not info:
                continue
            for field, out in (("recommends", recs), ("suggests", sugs)):
                for alts in info[field]:
                    if any(pkg in self.dpkg.candidates(a) or a == pkg for a in alts):
                        out.append(p)
        parts = []
        if recs:
            parts.append("%s only Recommend%s it, and install-deps.sh uses --no-install-recommends"
                         % (", ".join(recs), "s" if len(recs) == 1 else ""))
        if sugs:
            parts.append("%s only Suggest%s it" % (", ".join(sugs), "s" if len(sugs) == 1 else ""))
        return "; ".join(parts)

    def hint(self, e):
        """A guess of the Debian package of a module that is not installed."""
        if e.kind == "perl":
            guess = "lib" + e.name.lower().replace("::", "-") + "-perl"
        elif e.kind == "python":
            guess = "python3-" + e.name.lower().replace("_", "-")
        else:
            return ""
        why = self.pulled_weakly(guess)
        return "; perhaps %s%s" % (guess, ": " + why if why else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    help="the tree to check (default: this repository)")
    ap.add_argument("--status", default="/var/lib/dpkg/status", help="dpkg's status file")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="also list every use found and the computed commands left out")
    a = ap.parse_args()
    c = Check(os.path.abspath(a.root), a.status)
    c.run()
    if a.verbose and hasattr(c, "scan"):
        for u in sorted(c.scan.uses, key=lambda u: (u.path, u.line)):
            print("deps-check: use %s: %s %s (%s)" % (u.where(), u.kind, u.name, u.how))
        for path, line, text in sorted(set(c.scan.unresolved)):
            print("deps-check: not followed %s:%d: %s" % (path, line, text))
    if a.verbose:
        for n in c.notes:
            print("deps-check: note: " + n)
    for f in c.failures:
        print("deps-check: " + f, file=sys.stderr)
    if hasattr(c, "scan"):
        print("deps-check: %d Python and %d shell files scanned, %d uses; %.2f s"
              % (c.nfiles[0], c.nfiles[1], len(c.scan.uses), c.elapsed))
    print("deps-check: %d passed, %d failed" % (c.passed, len(c.failures)))
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
