import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

type Message = Record<string, unknown>;

/**
 * A Node process of this benchmark (token provider, sweeping replica), driven over IPC: it sends
 * `{ type: 'ready', ... }` once started, then answers each request with `{ type: 'result', id, ... }`.
 */
export class IpcChild {
  private nextId = 1;
  private readonly pending = new Map<number, { done: (m: Message) => void; fail: (e: Error) => void }>();
  private output = '';

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (chunk) => (this.output = (this.output + chunk).slice(-20_000)));
    child.stderr!.on('data', (chunk) => (this.output = (this.output + chunk).slice(-20_000)));
    child.on('message', (msg: Message) => {
      const waiting = this.pending.get(msg.id as number);
      this.pending.delete(msg.id as number);
      waiting?.done(msg);
    });
    child.on('exit', (code, signal) => {
      const error = new Error(`${name} exited (${signal ?? code}):\n${this.output}`);
      for (const waiting of this.pending.values()) waiting.fail(error);
      this.pending.clear();
    });
  }

  /** Starts `script` (a URL next to the caller's module) and waits for its ready message. */
  static async start(name: string, script: URL, env: Record<string, string>): Promise<[IpcChild, Message]> {
    const child = spawn(process.execPath, [fileURLToPath(script)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const handle = new IpcChild(name, child);
    const ready = await new Promise<Message>((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) =>
        reject(new Error(`${name} exited (${code}) before ready:\n${handle.output}`)),
      );
    });
    if (ready.type !== 'ready') throw new Error(`${name} failed to start: ${JSON.stringify(ready)}`);
    return [handle, ready];
  }

  request<T extends Message>(msg: Message): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((done, fail) => {
      this.pending.set(id, { done: (reply) => done(reply as T), fail });
      this.child.send({ ...msg, id });
    });
  }

  /** Asks it to stop, and kills it if it has not within two seconds. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((done) => this.child.once('exit', () => done()));
    this.child.send({ type: 'stop', id: 0 }, () => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }
}
