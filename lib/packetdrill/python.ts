// The Python that packetdrill scripts write between %{ and }% (gtests/net/packetdrill/code.c):
// packetdrill snapshots the socket's TCP_INFO and SO_MEMINFO at the snippet's time, and after
// the run writes every snapshot as assignments (tcpi_rtt = 10323) followed by its snippet into
// one file for python3. The kit evaluates the part of Python such snippets use: statements
// `assert`, assignment (also `+=` and the like) and `print`, separated by newlines or `;`, over
// integers, floats, strings and booleans with Python's operators, comparison chains, `%`
// formatting and the built-ins abs, min, max, int, str, len. Anything else is refused before
// the run, naming the line.

/** A Python value: int (bigint), float (number), str, bool or None (null). */
export type PyValue = bigint | number | string | boolean | null;

/** An error Python raises, as the traceback's last line names it. */
export class PythonError extends Error {
  /** The exception's class, such as AssertionError. */
  readonly kind: string;
  /** The statement that raised it. */
  readonly statement: string;
  /**
   * @param kind the exception's class
   * @param message its message
   * @param statement the statement that raised it
   */
  constructor(kind: string, message: string, statement: string) {
    super(message ? `${kind}: ${message}` : kind);
    this.kind = kind;
    this.statement = statement;
  }
}

type Token = { kind: "num" | "str" | "name" | "op"; text: string; value?: PyValue };

const KEYWORDS = new Set(["and", "or", "not", "in", "is", "True", "False", "None", "assert"]);
const OPERATORS = [
  "**=",
  "//=",
  ">>=",
  "<<=",
  "**",
  "//",
  "<<",
  ">>",
  "<=",
  ">=",
  "==",
  "!=",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "+",
  "-",
  "*",
  "/",
  "%",
  "&",
  "|",
  "^",
  "~",
  "<",
  ">",
  "(",
  ")",
  ",",
  "=",
];

function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if (c === "#") break;
    const num =
      /^(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|\d[\d_]*(\.\d*)?([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)/
        .exec(line.slice(i));
    if (num) {
      const t = num[0].replace(/_/g, "");
      const float = /^[^x]*[.eE]/i.test(t) && !/^0x/i.test(t);
      tokens.push({ kind: "num", text: num[0], value: float ? Number(t) : BigInt(t) });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(line.slice(i));
    if (name) {
      tokens.push({ kind: "name", text: name[0] });
      i += name[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let s = "";
      while (j < line.length && line[j] !== c) {
        if (line[j] === "\\" && j + 1 < line.length) {
          const e = line[++j];
          s += e === "n" ? "\n" : e === "t" ? "\t" : e;
        } else s += line[j];
        j++;
      }
      if (j >= line.length) throw new SyntaxError("unterminated string");
      tokens.push({ kind: "str", text: line.slice(i, j + 1), value: s });
      i = j + 1;
      continue;
    }
    const op = OPERATORS.find((o) => line.startsWith(o, i));
    if (!op) throw new SyntaxError(`'${c}' is not part of the Python the kit runs`);
    tokens.push({ kind: "op", text: op });
    i += op.length;
  }
  return tokens;
}

type Expr =
  | { t: "const"; v: PyValue }
  | { t: "name"; name: string }
  | { t: "unary"; op: string; e: Expr }
  | { t: "binary"; op: string; l: Expr; r: Expr }
  | { t: "bool"; op: "and" | "or"; l: Expr; r: Expr }
  | { t: "compare"; first: Expr; rest: [string, Expr][] }
  | { t: "tuple"; items: Expr[] }
  | { t: "call"; fn: string; args: Expr[] };

/** One statement of a snippet. */
export type Statement =
  | { t: "assert"; test: Expr; msg: Expr | null; text: string }
  | { t: "assign"; name: string; op: string; e: Expr; text: string }
  | { t: "print"; args: Expr[]; text: string }
  | { t: "expr"; e: Expr; text: string };

// Statements that open a block or do more than the kit runs
const KEYWORD_STATEMENT =
  /^\s*(import|from|if|elif|else|for|while|def|class|with|try|except|del|return|pass|global|lambda)\b/;
const BUILTINS = new Set(["abs", "min", "max", "int", "str", "len", "print"]);
const COMPARISONS = new Set(["<", ">", "<=", ">=", "==", "!="]);

class Parser {
  #i = 0;
  constructor(readonly tokens: Token[]) {}
  peek(): Token | undefined {
    return this.tokens[this.#i];
  }
  next(): Token {
    const t = this.tokens[this.#i++];
    if (!t) throw new SyntaxError("unexpected end of statement");
    return t;
  }
  at(text: string): boolean {
    const t = this.peek();
    return !!t && (t.kind === "op" || t.kind === "name") && t.text === text;
  }
  eat(text: string): boolean {
    if (!this.at(text)) return false;
    this.#i++;
    return true;
  }
  expect(text: string): void {
    if (!this.eat(text)) throw new SyntaxError(`expected '${text}'`);
  }
  done(): boolean {
    return this.#i >= this.tokens.length;
  }
  // expression list: a tuple when it has a comma
  exprList(): Expr {
    const first = this.expr();
    if (!this.at(",")) return first;
    const items = [first];
    while (this.eat(",") && !this.done() && !this.at(")")) items.push(this.expr());
    if (items.some((e) => e.t === "tuple")) {
      throw new SyntaxError("a tuple inside a tuple is not part of the Python the kit runs");
    }
    return { t: "tuple", items };
  }
  expr(): Expr {
    let l = this.andExpr();
    while (this.eat("or")) l = { t: "bool", op: "or", l, r: this.andExpr() };
    return l;
  }
  andExpr(): Expr {
    let l = this.notExpr();
    while (this.eat("and")) l = { t: "bool", op: "and", l, r: this.notExpr() };
    return l;
  }
  notExpr(): Expr {
    return this.eat("not") ? { t: "unary", op: "not", e: this.notExpr() } : this.comparison();
  }
  comparison(): Expr {
    const first = this.binary(0);
    const rest: [string, Expr][] = [];
    while (this.peek() && COMPARISONS.has(this.peek()!.text) && this.peek()!.kind === "op") {
      const op = this.next().text;
      rest.push([op, this.binary(0)]);
    }
    return rest.length ? { t: "compare", first, rest } : first;
  }
  // Python's precedence, loosest first: | ^ & shifts + - * / // %
  static readonly LEVELS = [["|"], ["^"], ["&"], ["<<", ">>"], ["+", "-"], ["*", "/", "//", "%"]];
  binary(level: number): Expr {
    if (level === Parser.LEVELS.length) return this.unary();
    let l = this.binary(level + 1);
    while (this.peek()?.kind === "op" && Parser.LEVELS[level].includes(this.peek()!.text)) {
      const op = this.next().text;
      l = { t: "binary", op, l, r: this.binary(level + 1) };
    }
    return l;
  }
  unary(): Expr {
    for (const op of ["-", "+", "~"]) {
      if (this.peek()?.kind === "op" && this.eat(op)) return { t: "unary", op, e: this.unary() };
    }
    return this.power();
  }
  power(): Expr {
    const base = this.atom();
    return this.eat("**") ? { t: "binary", op: "**", l: base, r: this.unary() } : base;
  }
  atom(): Expr {
    const t = this.next();
    if (t.kind === "num" || t.kind === "str") {
      let v = t.value!;
      // adjacent string literals join
      while (t.kind === "str" && this.peek()?.kind === "str") v = `${v}${this.next().value}`;
      return { t: "const", v };
    }
    if (t.kind === "name") {
      if (t.text === "True" || t.text === "False") return { t: "const", v: t.text === "True" };
      if (t.text === "None") return { t: "const", v: null };
      if (KEYWORDS.has(t.text)) throw new SyntaxError(`unexpected '${t.text}'`);
      if (this.at("(")) {
        if (!BUILTINS.has(t.text)) {
          throw new SyntaxError(`calling ${t.text}() is not part of the Python the kit runs`);
        }
        this.next();
        const args: Expr[] = [];
        while (!this.eat(")")) {
          args.push(this.expr());
          if (!this.at(")")) this.expect(",");
        }
        return { t: "call", fn: t.text, args };
      }
      return { t: "name", name: t.text };
    }
    if (t.text === "(") {
      if (this.eat(")")) return { t: "tuple", items: [] };
      const e = this.exprList();
      this.expect(")");
      return e;
    }
    throw new SyntaxError(`unexpected '${t.text}'`);
  }
}

/**
 * Parses a snippet into statements.
 * @param code the text between %{ and }%
 * @returns its statements
 * @throws {SyntaxError} for Python beyond what the kit runs, naming what
 */
export function parsePython(code: string): Statement[] {
  const statements: Statement[] = [];
  for (const raw of code.replace(/^[ \t]+|[ \t]+$/g, "").split("\n")) {
    if (/^[ \t]+[^ \t#]/.test(raw)) {
      throw new SyntaxError("an indented line is not part of the Python the kit runs");
    }
    for (const text of splitStatements(raw)) {
      const keyword = KEYWORD_STATEMENT.exec(text);
      if (keyword) throw new SyntaxError(`'${keyword[1]}' is not part of the Python the kit runs`);
      const tokens = tokenize(text);
      if (!tokens.length) continue;
      statements.push(statement(tokens, text.trim()));
    }
  }
  return statements;
}

// A line's statements: split at the semicolons outside strings
function splitStatements(line: string): string[] {
  const out: string[] = [];
  let quote = "";
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#") break;
    else if (c === ";") {
      out.push(line.slice(start, i));
      start = i + 1;
    }
  }
  out.push(line.slice(start));
  return out;
}

function statement(tokens: Token[], text: string): Statement {
  const p = new Parser(tokens);
  const first = tokens[0];
  let s: Statement;
  if (p.eat("assert")) {
    const test = p.expr();
    s = { t: "assert", test, msg: p.eat(",") ? p.expr() : null, text };
  } else if (
    first.kind === "name" && tokens[1]?.kind === "op" && /^(\*\*|\/\/|>>|<<|[-+*/%&|^])?=$/.test(
      tokens[1].text,
    )
  ) {
    p.next();
    const op = p.next().text.slice(0, -1);
    s = { t: "assign", name: first.text, op, e: p.exprList(), text };
  } else if (first.kind === "name" && first.text === "print" && tokens[1]?.text === "(") {
    const call = p.atom() as { t: "call"; args: Expr[] };
    s = { t: "print", args: call.args, text };
  } else s = { t: "expr", e: p.exprList(), text };
  if (!p.done()) throw new SyntaxError(`unexpected '${p.peek()!.text}'`);
  return s;
}

/**
 * The names a snippet reads before it assigns them: what its namespace must provide.
 * @param statements the snippet's statements
 * @returns the names
 */
export function namesRead(statements: Statement[]): Set<string> {
  const read = new Set<string>();
  const assigned = new Set<string>();
  const visit = (e: Expr): void => {
    if (e.t === "name" && !assigned.has(e.name)) read.add(e.name);
    else if (e.t === "unary") visit(e.e);
    else if (e.t === "binary" || e.t === "bool") (visit(e.l), visit(e.r));
    else if (e.t === "compare") (visit(e.first), e.rest.forEach(([, x]) => visit(x)));
    else if (e.t === "tuple") e.items.forEach(visit);
    else if (e.t === "call") e.args.forEach(visit);
  };
  for (const s of statements) {
    if (s.t === "assert") (visit(s.test), s.msg && visit(s.msg));
    else if (s.t === "print") s.args.forEach(visit);
    else if (s.t === "expr") visit(s.e);
    else {
      if (s.op) visit({ t: "name", name: s.name });
      visit(s.e);
      assigned.add(s.name);
    }
  }
  return read;
}

/**
 * Runs statements in a namespace, as python3 runs packetdrill's file.
 * @param statements what to run
 * @param scope the namespace: read and assigned
 * @param print where print() writes a line
 * @throws {PythonError} for what Python would raise (an assertion that fails...)
 */
export function runPython(
  statements: Statement[],
  scope: Map<string, PyValue | PyValue[]>,
  print: (line: string) => void,
): void {
  for (const s of statements) {
    const ev = (e: Expr) => evaluate(e, scope, s.text);
    if (s.t === "assert") {
      if (!truthy(ev(s.test))) {
        throw new PythonError("AssertionError", s.msg ? str(ev(s.msg)) : "", s.text);
      }
    } else if (s.t === "print") print(s.args.map((a) => str(ev(a))).join(" "));
    else if (s.t === "assign") {
      const v = ev(s.e);
      scope.set(s.name, s.op ? binary(s.op, ev({ t: "name", name: s.name }), v, s.text) : v);
    } else ev(s.e);
  }
}

type Val = PyValue | PyValue[];

function evaluate(e: Expr, scope: Map<string, Val>, text: string): Val {
  const ev = (x: Expr) => evaluate(x, scope, text);
  switch (e.t) {
    case "const":
      return e.v;
    case "name": {
      if (!scope.has(e.name)) {
        throw new PythonError("NameError", `name '${e.name}' is not defined`, text);
      }
      return scope.get(e.name)!;
    }
    case "tuple":
      return e.items.map((x) => scalar(ev(x), text));
    case "bool": {
      const l = ev(e.l);
      return (e.op === "and") === truthy(l) ? ev(e.r) : l;
    }
    case "unary": {
      const v = ev(e.e);
      if (e.op === "not") return !truthy(v);
      const n = numeric(scalar(v, text), e.op, text);
      if (e.op === "~") return ~asInt(n, e.op, text);
      return e.op === "-" ? (typeof n === "bigint" ? -n : -n) : n;
    }
    case "binary":
      return binary(e.op, ev(e.l), ev(e.r), text);
    case "compare": {
      let l = ev(e.first);
      for (const [op, rx] of e.rest) {
        const r = ev(rx);
        if (!compare(op, l, r, text)) return false;
        l = r;
      }
      return true;
    }
    case "call":
      return call(e.fn, e.args.map(ev), text);
  }
}

// A value where Python wants a number or a string: a tuple is a TypeError there
function scalar(v: Val, text: string, what = "operand"): PyValue {
  if (Array.isArray(v)) throw new PythonError("TypeError", `bad ${what} type: 'tuple'`, text);
  return v;
}

function truthy(v: Val): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return !(v === null || v === false || v === 0 || v === 0n || v === "");
}

function numeric(v: PyValue, op: string, text: string): bigint | number {
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (typeof v === "bigint" || typeof v === "number") return v;
  throw new PythonError("TypeError", `bad operand type for ${op}: '${typeName(v)}'`, text);
}

function asInt(v: bigint | number, op: string, text: string): bigint {
  if (typeof v === "bigint") return v;
  throw new PythonError("TypeError", `unsupported operand type(s) for ${op}: 'float'`, text);
}

function typeName(v: Val): string {
  if (Array.isArray(v)) return "tuple";
  if (v === null) return "NoneType";
  return typeof v === "bigint"
    ? "int"
    : typeof v === "number"
    ? "float"
    : typeof v === "string"
    ? "str"
    : "bool";
}

function binary(op: string, lv: Val, rv: Val, text: string): Val {
  if (op === "%" && typeof lv === "string") return format(lv, Array.isArray(rv) ? rv : [rv], text);
  if (Array.isArray(lv) && Array.isArray(rv) && op === "+") return [...lv, ...rv];
  if (Array.isArray(lv) || Array.isArray(rv)) {
    throw new PythonError(
      "TypeError",
      `unsupported operand type(s) for ${op}: '${typeName(lv)}' and '${typeName(rv)}'`,
      text,
    );
  }
  const l = scalar(lv, text);
  const r = scalar(rv, text);
  if (op === "+" && typeof l === "string" && typeof r === "string") return l + r;
  if (op === "*" && typeof l === "string") return l.repeat(Number(numeric(r, op, text)));
  const bad = () =>
    new PythonError(
      "TypeError",
      `unsupported operand type(s) for ${op}: '${typeName(l)}' and '${typeName(r)}'`,
      text,
    );
  if (typeof l === "string" || typeof r === "string" || l === null || r === null) throw bad();
  const a = numeric(l, op, text);
  const b = numeric(r, op, text);
  if (["|", "^", "&", "<<", ">>"].includes(op)) {
    if (typeof a !== "bigint" || typeof b !== "bigint") throw bad();
    if (op === "|") return a | b;
    if (op === "^") return a ^ b;
    if (op === "&") return a & b;
    if (b < 0n) throw new PythonError("ValueError", "negative shift count", text);
    return op === "<<" ? a << b : a >> b;
  }
  const zero = () => new PythonError("ZeroDivisionError", "division by zero", text);
  if (typeof a === "bigint" && typeof b === "bigint" && op !== "/") {
    if (op === "+") return a + b;
    if (op === "-") return a - b;
    if (op === "*") return a * b;
    if (op === "**") return b < 0n ? Number(a) ** Number(b) : a ** b;
    if (b === 0n) throw zero();
    const q = a / b;
    const floor = (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q; // Python floors
    return op === "//" ? floor : a - b * floor;
  }
  const x = Number(a);
  const y = Number(b);
  if (op === "+") return x + y;
  if (op === "-") return x - y;
  if (op === "*") return x * y;
  if (op === "**") return x ** y;
  if (y === 0) throw zero();
  if (op === "/") return x / y;
  if (op === "//") return Math.floor(x / y);
  return x - y * Math.floor(x / y);
}

function compare(op: string, lv: Val, rv: Val, text: string): boolean {
  if (Array.isArray(lv) && Array.isArray(rv)) return compareTuples(op, lv, rv, text);
  if (Array.isArray(lv) || Array.isArray(rv)) {
    if (op === "==" || op === "!=") return op === "!=";
    throw new PythonError(
      "TypeError",
      `'${op}' not supported between instances of '${typeName(lv)}' and '${typeName(rv)}'`,
      text,
    );
  }
  const l = lv;
  const r = rv;
  const eq = () => {
    if (typeof l === "string" || typeof r === "string" || l === null || r === null) return l === r;
    return Number(numeric(l, op, text)) === Number(numeric(r, op, text)) &&
      (typeof l !== "bigint" || typeof r !== "bigint" || l === r);
  };
  if (op === "==") return eq();
  if (op === "!=") return !eq();
  let c: number;
  if (typeof l === "string" && typeof r === "string") c = l < r ? -1 : l > r ? 1 : 0;
  else if (typeof l === "string" || typeof r === "string" || l === null || r === null) {
    throw new PythonError(
      "TypeError",
      `'${op}' not supported between instances of '${typeName(l)}' and '${typeName(r)}'`,
      text,
    );
  } else {
    const a = numeric(l, op, text);
    const b = numeric(r, op, text);
    c = typeof a === "bigint" && typeof b === "bigint"
      ? (a < b ? -1 : a > b ? 1 : 0)
      : Math.sign(Number(a) - Number(b));
  }
  return op === "<" ? c < 0 : op === ">" ? c > 0 : op === "<=" ? c <= 0 : c >= 0;
}

// Tuples compare item by item; the first pair that differs decides, else the shorter is less
function compareTuples(op: string, l: PyValue[], r: PyValue[], text: string): boolean {
  const i = l.findIndex((v, k) => k >= r.length || !compare("==", v, r[k], text));
  if (i < 0 || i >= r.length) {
    const c = l.length - r.length;
    return op === "=="
      ? c === 0
      : op === "!="
      ? c !== 0
      : op === "<"
      ? c < 0
      : op === ">"
      ? c > 0
      : op === "<="
      ? c <= 0
      : c >= 0;
  }
  if (op === "==") return false;
  if (op === "!=") return true;
  return compare(op, l[i], r[i], text);
}

function call(fn: string, args: Val[], text: string): Val {
  const one = () => {
    if (args.length !== 1) {
      throw new PythonError("TypeError", `${fn}() takes exactly one argument`, text);
    }
    return scalar(args[0], text);
  };
  if (fn === "str") return str(one());
  if (fn === "len") {
    const v = args[0];
    if (Array.isArray(v) || typeof v === "string") return BigInt(v.length);
    throw new PythonError("TypeError", `object of type '${typeName(v)}' has no len()`, text);
  }
  if (fn === "abs") {
    const n = numeric(one(), "abs()", text);
    return n < 0 ? -n : n;
  }
  if (fn === "int") {
    const v = one();
    if (typeof v === "string") {
      if (!/^\s*[-+]?\d+\s*$/.test(v)) {
        throw new PythonError("ValueError", `invalid literal for int() with base 10: '${v}'`, text);
      }
      return BigInt(v.trim());
    }
    const n = numeric(v, "int()", text);
    return typeof n === "bigint" ? n : BigInt(Math.trunc(n));
  }
  const items = args.length === 1 && Array.isArray(args[0])
    ? args[0]
    : args.map((a) => scalar(a, text));
  if (!items.length) throw new PythonError("ValueError", `${fn}() arg is an empty sequence`, text);
  return items.reduce((best, v) => compare(fn === "min" ? "<" : ">", v, best, text) ? v : best);
}

// A value as Python's str() shows it
function str(v: Val): string {
  if (Array.isArray(v)) return `(${v.map(repr).join(", ")}${v.length === 1 ? "," : ""})`;
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") {
    // float.__repr__: the shortest digits, in exponent form below 1e-4 and from 1e16 up, with
    // at least two exponent digits
    if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
    const a = Math.abs(v);
    if (a >= 1e16 || (a < 1e-4 && a > 0)) {
      return v.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
    }
    return Number.isInteger(v) ? `${v}.0` : String(v);
  }
  return String(v);
}

function repr(v: PyValue): string {
  return typeof v === "string" ? `'${v}'` : str(v);
}

// printf-style formatting: %d %i %u %s %r %x %X %o %f %e %g %%, with flags and widths
function format(fmt: string, args: PyValue[], text: string): string {
  let n = 0;
  const out = fmt.replace(
    /%([-+ 0#]*)(\d*)(?:\.(\d+))?([diouxXsrfeEgGc%])/g,
    (_m, flags: string, width: string, prec: string | undefined, conv: string) => {
      if (conv === "%") return "%";
      if (n >= args.length) {
        throw new PythonError("TypeError", "not enough arguments for format string", text);
      }
      const v = args[n++];
      let s: string;
      if (conv === "s") s = str(v);
      else if (conv === "r") s = repr(v);
      else if (conv === "c") s = typeof v === "string" ? v : String.fromCharCode(Number(v));
      else {
        if (typeof v === "string" || v === null) {
          throw new PythonError(
            "TypeError",
            `%${conv} format: a real number is required, not ${typeName(v)}`,
            text,
          );
        }
        const num = numeric(v, "%", text);
        if ("diu".includes(conv)) {
          s = (typeof num === "bigint" ? num : BigInt(Math.trunc(num))).toString();
        } else if ("xXo".includes(conv)) {
          s = asInt(num, "%", text).toString(conv === "o" ? 8 : 16);
          if (conv === "X") s = s.toUpperCase();
        } else {
          const x = Number(num);
          const p = prec === undefined ? 6 : Number(prec);
          s = conv === "f"
            ? x.toFixed(p)
            : conv.toLowerCase() === "e"
            ? x.toExponential(p).replace(/e([+-])(\d)$/, "e$10$2")
            : String(Number(x.toPrecision(p || 1)));
          if (conv === "E" || conv === "G") s = s.toUpperCase();
        }
        if (flags.includes("+") && !s.startsWith("-")) s = `+${s}`;
      }
      const w = Number(width || 0);
      if (s.length < w) {
        s = flags.includes("-")
          ? s.padEnd(w)
          : flags.includes("0") && conv !== "s"
          ? (s.startsWith("-") ? `-${s.slice(1).padStart(w - 1, "0")}` : s.padStart(w, "0"))
          : s.padStart(w);
      }
      return s;
    },
  );
  if (n < args.length) {
    throw new PythonError(
      "TypeError",
      "not all arguments converted during string formatting",
      text,
    );
  }
  return out;
}
