// A real headless browser for the book's tests: Debian's chromium driven over the Chrome
// DevTools Protocol (a WebSocket; no npm driver needed). One page; navigate, then evaluate.

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = "/usr/bin/chromium";

interface Reply {
  id?: number;
  method?: string;
  result?: { result?: { value?: unknown }; exceptionDetails?: unknown };
  error?: { message: string };
}

/** One headless chromium with one page, driven over the DevTools Protocol. */
export class Browser {
  private nextId = 1;
  private pending = new Map<number, (r: Reply) => void>();
  private waiters: { method: string; resolve: () => void }[] = [];

  private constructor(
    private process: Deno.ChildProcess,
    private socket: WebSocket,
    private profile: string,
  ) {
    socket.onmessage = (e) => {
      const msg: Reply = JSON.parse(e.data);
      if (msg.id !== undefined) {
        this.pending.get(msg.id)?.(msg);
        this.pending.delete(msg.id);
      } else if (msg.method) {
        const ready = this.waiters.filter((w) => w.method === msg.method);
        this.waiters = this.waiters.filter((w) => w.method !== msg.method);
        for (const w of ready) w.resolve();
      }
    };
  }

  /** Starts chromium headless with a throwaway profile and opens its page. */
  static async launch(width = 1280, height = 900): Promise<Browser> {
    await Deno.stat(CHROMIUM).catch(() => {
      throw new Error(`${CHROMIUM} not found: install Debian's chromium (bash .ci/setup does)`);
    });
    const profile = await Deno.makeTempDir({ prefix: "rxpath-chromium-" });
    const process = new Deno.Command(CHROMIUM, {
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        `--window-size=${width},${height}`,
        "--remote-debugging-port=0",
        `--user-data-dir=${profile}`,
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // chromium says where it listens on stderr: "DevTools listening on ws://127.0.0.1:PORT/..."
    const reader = process.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    let port = "";
    while (!port) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`chromium exited before listening:\n${seen}`);
      seen += value;
      port = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(seen)?.[1] ?? "";
    }
    reader.releaseLock();
    process.stderr.cancel().catch(() => {});
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const page = targets.find((t: { type: string }) => t.type === "page");
    const socket = new WebSocket(page.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    const browser = new Browser(process, socket, profile);
    await browser.send("Page.enable");
    await browser.send("Runtime.enable");
    return browser;
  }

  /** Sends one protocol command and waits for its reply. */
  send(method: string, params: Record<string, unknown> = {}): Promise<Reply["result"]> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => {
      this.pending.set(
        id,
        (r) => r.error ? reject(new Error(`${method}: ${r.error.message}`)) : resolve(r.result),
      );
    });
  }

  /** Loads a URL and waits for its load event. */
  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) =>
      this.waiters.push({ method: "Page.loadEventFired", resolve })
    );
    await this.send("Page.navigate", { url });
    await loaded;
  }

  /** Runs a JavaScript expression in the page (awaiting a promise) and returns its value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", {
      expression,
      awaitPromise: true,
      returnByValue: true,
    });
    if (r?.exceptionDetails) {
      throw new Error(`in the page: ${JSON.stringify(r.exceptionDetails).slice(0, 2000)}`);
    }
    return r?.result?.value as T;
  }

  /**
   * Polls an expression until it is truthy or the time runs out; returns its last value. A page
   * navigating away while it is asked counts as not yet.
   */
  async waitFor<T>(expression: string, timeoutMs = 30_000): Promise<T | undefined> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const value = await this.evaluate<T>(expression).catch(() => undefined);
      if (value || Date.now() > end) return value;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Closes the page and the browser and removes the profile. */
  async close(): Promise<void> {
    this.socket.close();
    this.process.kill();
    await this.process.status;
    await Deno.remove(this.profile, { recursive: true }).catch(() => {});
  }
}
