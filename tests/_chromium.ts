/**
 * A minimal Chrome DevTools Protocol client over Deno's WebSocket, enough to
 * open a report in headless Chromium, watch for console errors, network
 * requests and dialogs, evaluate script, click, type keys and take
 * screenshots. No Playwright or Puppeteer: the report must work offline, and
 * so must its tests.
 *
 * @module
 */

/** Where Chromium is looked for, before `PATH`. */
const CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
];

/** Finds the Chromium binary or throws saying how to install it. */
export function findChromium(): string {
  const fromEnv = Deno.env.get("CHROMIUM");
  const candidates = fromEnv ? [fromEnv, ...CANDIDATES] : [...CANDIDATES];
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir) candidates.push(`${dir}/chromium`, `${dir}/chromium-browser`);
  }
  for (const path of candidates) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // Not there; try the next.
    }
  }
  throw new Error(
    "Chromium was not found at /usr/bin/chromium or on PATH. The browser tests need it: " +
      "install it with `apt-get install chromium` (or set CHROMIUM to its path).",
  );
}

/** A console error, uncaught exception or log entry of level error. */
export interface ConsoleProblem {
  source: string;
  text: string;
}

/** Viewport and colour scheme of a page. */
export interface PageOptions {
  /** @default {1280} */
  width?: number;
  /** @default {900} */
  height?: number;
  /** @default {"light"} */
  colorScheme?: "light" | "dark";
}

type Json = Record<string, unknown>;
type Listener = (params: Json, sessionId?: string) => void;

/** A running headless Chromium. Always `close()` it. */
export class Browser {
  #process: Deno.ChildProcess;
  #socket: WebSocket;
  #userDir: string;
  #stderr: Promise<void>;
  #nextId = 1;
  #waiting = new Map<
    number,
    { resolve: (v: Json) => void; reject: (e: Error) => void }
  >();
  #listeners = new Set<Listener & { method: string }>();
  #closed = false;
  #socketClosed: Promise<void>;

  private constructor(
    process: Deno.ChildProcess,
    socket: WebSocket,
    userDir: string,
    stderr: Promise<void>,
  ) {
    this.#process = process;
    this.#socket = socket;
    this.#userDir = userDir;
    this.#stderr = stderr;
    this.#socketClosed = new Promise((resolve) => {
      socket.addEventListener("close", () => resolve());
    });
    socket.addEventListener("message", (ev) => {
      const msg = JSON.parse(String(ev.data)) as Json;
      if (typeof msg.id === "number") {
        const w = this.#waiting.get(msg.id);
        if (!w) return;
        this.#waiting.delete(msg.id);
        if (msg.error) {
          w.reject(
            new Error(`CDP error: ${JSON.stringify(msg.error)}`),
          );
        } else w.resolve((msg.result ?? {}) as Json);
        return;
      }
      for (const l of this.#listeners) {
        if (l.method === msg.method) {
          l((msg.params ?? {}) as Json, msg.sessionId as string | undefined);
        }
      }
    });
  }

  /** Starts Chromium and connects to it. */
  static async launch(): Promise<Browser> {
    const binary = findChromium();
    const userDir = await Deno.makeTempDir({ prefix: "mcp-audit-chromium-" });
    const process = new Deno.Command(binary, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--mute-audio",
        `--user-data-dir=${userDir}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = process.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    let buffer = "";
    let url: string | undefined;
    const deadline = setTimeout(() => process.kill("SIGKILL"), 20_000);
    try {
      while (url === undefined) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        url = buffer.match(/DevTools listening on (ws:\/\/\S+)/)?.[1];
      }
    } finally {
      clearTimeout(deadline);
    }
    // Keep draining stderr so Chromium never blocks on a full pipe.
    const stderr = (async () => {
      try {
        while (!(await reader.read()).done) { /* discard */ }
      } catch { /* closed */ }
    })();
    if (url === undefined) {
      try {
        process.kill("SIGKILL");
      } catch { /* already gone */ }
      await process.status;
      await stderr;
      await Deno.remove(userDir, { recursive: true }).catch(() => {});
      throw new Error(
        `Chromium (${binary}) did not print its DevTools address:\n${
          buffer.slice(0, 2000)
        }`,
      );
    }
    try {
      const socket = new WebSocket(url);
      await new Promise<void>((resolve, reject) => {
        socket.addEventListener("open", () => resolve(), { once: true });
        socket.addEventListener(
          "error",
          () => reject(new Error(`Cannot connect to ${url}`)),
          { once: true },
        );
      });
      return new Browser(process, socket, userDir, stderr);
    } catch (error) {
      try {
        process.kill("SIGKILL");
      } catch { /* already gone */ }
      await process.status;
      await stderr;
      await Deno.remove(userDir, { recursive: true }).catch(() => {});
      throw error;
    }
  }

  /** Sends a CDP command, to a page session when `sessionId` is given. */
  send(method: string, params: Json = {}, sessionId?: string): Promise<Json> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#socket.send(
        JSON.stringify({
          id,
          method,
          params,
          ...(sessionId ? { sessionId } : {}),
        }),
      );
    });
  }

  /** Calls `listener` for every `method` event; returns the unsubscriber. */
  on(method: string, listener: Listener): () => void {
    const l = Object.assign(
      (p: Json, s?: string) => listener(p, s),
      { method },
    );
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  /** Opens a new tab with the given viewport and colour scheme. */
  async newPage(options: PageOptions = {}): Promise<Page> {
    const { targetId } = await this.send("Target.createTarget", {
      url: "about:blank",
    }) as { targetId: string };
    const { sessionId } = await this.send("Target.attachToTarget", {
      targetId,
      flatten: true,
    }) as { sessionId: string };
    const page = new Page(this, sessionId, targetId);
    await page.init(options);
    return page;
  }

  /** Kills Chromium and removes its profile directory. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#socket.close();
    } catch { /* already closed */ }
    await Promise.race([
      this.#socketClosed,
      new Promise((r) => setTimeout(r, 2000)),
    ]);
    try {
      this.#process.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.#process.status;
    await this.#stderr;
    for (const w of this.#waiting.values()) {
      w.reject(new Error("Browser closed"));
    }
    await Deno.remove(this.#userDir, { recursive: true }).catch(() => {});
  }
}

/** One tab, with what it saw: console problems, requests and dialogs. */
export class Page {
  readonly #browser: Browser;
  readonly #session: string;
  readonly #targetId: string;
  #allowedUrl = "";
  #loaded: (() => void) | undefined;
  /** Console errors, exceptions and error log entries. */
  readonly problems: ConsoleProblem[] = [];
  /** URLs requested other than the page itself and data: URLs. */
  readonly requests: string[] = [];
  /** Messages of JavaScript dialogs (alert, confirm, prompt). */
  readonly dialogs: string[] = [];

  constructor(browser: Browser, session: string, targetId: string) {
    this.#browser = browser;
    this.#session = session;
    this.#targetId = targetId;
  }

  /** Enables the domains and sets up the listeners. */
  async init(options: PageOptions): Promise<void> {
    const b = this.#browser;
    const mine = (fn: (p: Json) => void): Listener => (p, s) => {
      if (s === this.#session) fn(p);
    };
    b.on(
      "Runtime.exceptionThrown",
      mine((p) => {
        const d = p.exceptionDetails as Json;
        this.problems.push({
          source: "exception",
          text: String(
            (d.exception as Json | undefined)?.description ?? d.text,
          ),
        });
      }),
    );
    b.on(
      "Runtime.consoleAPICalled",
      mine((p) => {
        if (p.type === "error" || p.type === "assert") {
          this.problems.push({
            source: `console.${p.type}`,
            text: (p.args as Json[]).map((a) => a.value ?? a.description).join(
              " ",
            ),
          });
        }
      }),
    );
    b.on(
      "Log.entryAdded",
      mine((p) => {
        const e = p.entry as Json;
        if (e.level === "error") {
          this.problems.push({
            source: `log.${e.source}`,
            text: String(e.text),
          });
        }
      }),
    );
    b.on(
      "Network.requestWillBeSent",
      mine((p) => {
        const url = String((p.request as Json).url);
        if (url === this.#allowedUrl || url.startsWith("data:")) return;
        if (url === "about:blank") return;
        this.requests.push(url);
      }),
    );
    b.on(
      "Page.javascriptDialogOpening",
      mine((p) => {
        this.dialogs.push(String(p.message));
        void this.send("Page.handleJavaScriptDialog", { accept: false })
          .catch(() => {});
      }),
    );
    b.on(
      "Page.loadEventFired",
      mine(() => this.#loaded?.()),
    );
    await this.send("Page.enable");
    await this.send("Runtime.enable");
    await this.send("Log.enable");
    await this.send("Network.enable");
    await this.send("Emulation.setDeviceMetricsOverride", {
      width: options.width ?? 1280,
      height: options.height ?? 900,
      deviceScaleFactor: 1,
      mobile: false,
    });
    await this.send("Emulation.setEmulatedMedia", {
      features: [{
        name: "prefers-color-scheme",
        value: options.colorScheme ?? "light",
      }],
    });
  }

  /** Sends a command to this page. */
  send(method: string, params: Json = {}): Promise<Json> {
    return this.#browser.send(method, params, this.#session);
  }

  /** Opens a local file and waits for its load event. */
  async open(path: string): Promise<void> {
    const url = new URL(`file://${path}`).href;
    this.#allowedUrl = url;
    const loaded = new Promise<void>((resolve) => this.#loaded = resolve);
    await this.send("Page.navigate", { url });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      loaded,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Timed out loading ${url}`)),
          30_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Evaluates an expression in the page and returns its JSON value. */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const result = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (result.exceptionDetails) {
      const d = result.exceptionDetails as Json;
      throw new Error(
        `Evaluation failed: ${
          (d.exception as Json | undefined)?.description ?? d.text
        }`,
      );
    }
    return (result.result as Json).value as T;
  }

  /** Clicks the centre of the first element matching `selector`, like a user. */
  async click(selector: string): Promise<void> {
    const box = await this.evaluate<
      { x: number; y: number } | null
    >(`(() => {
      const el = document.querySelector(${JSON.stringify(selector)});
      if (!el) return null;
      el.scrollIntoView({ block: "center" });
      const r = el.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    })()`);
    if (!box) throw new Error(`No element matches ${selector}`);
    for (const type of ["mousePressed", "mouseReleased"]) {
      await this.send("Input.dispatchMouseEvent", {
        type,
        x: box.x,
        y: box.y,
        button: "left",
        clickCount: 1,
      });
    }
  }

  /** Presses a key (e.g. `Tab`, `Enter`, `ArrowDown`). */
  async press(key: string): Promise<void> {
    const codes: Record<string, number> = {
      Tab: 9,
      Enter: 13,
      ArrowDown: 40,
      ArrowUp: 38,
      " ": 32,
    };
    const code = codes[key] ?? 0;
    await this.send("Input.dispatchKeyEvent", {
      type: "rawKeyDown",
      key,
      code: key === " " ? "Space" : key,
      windowsVirtualKeyCode: code,
    });
    if (key === "Enter" || key === " ") {
      await this.send("Input.dispatchKeyEvent", {
        type: "char",
        key,
        text: key === "Enter" ? "\r" : " ",
      });
    }
    await this.send("Input.dispatchKeyEvent", {
      type: "keyUp",
      key,
      code: key === " " ? "Space" : key,
      windowsVirtualKeyCode: code,
    });
  }

  /** Waits until `expression` is truthy in the page. */
  async waitFor(expression: string, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await this.evaluate<boolean>(`!!(${expression})`)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`Timed out waiting for ${expression}`);
  }

  /** A PNG of the page; `fullPage` captures beyond the viewport. */
  async screenshot(fullPage = false): Promise<Uint8Array> {
    let clip: Json | undefined;
    if (fullPage) {
      const size = await this.evaluate<{ w: number; h: number }>(
        "({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight })",
      );
      clip = { x: 0, y: 0, width: size.w, height: size.h, scale: 1 };
    }
    const { data } = await this.send("Page.captureScreenshot", {
      format: "png",
      ...(clip ? { clip, captureBeyondViewport: true } : {}),
    }) as { data: string };
    return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  }

  /** Closes the tab. */
  async close(): Promise<void> {
    await this.#browser.send("Target.closeTarget", {
      targetId: this.#targetId,
    });
  }
}
