import { spawn, type ChildProcess } from 'node:child_process';

/** A child process that printed `listening <url>`; `stop` ends it and waits for its exit. */
export interface Worker {
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/** Spawns a server process and waits until it says where it listens, or fails with its output. */
export function spawnWorker(command: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<Worker> {
  const child: ChildProcess = spawn(command, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not start within 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // Our workers print `listening <url>`; gunicorn logs `Listening at: <url> (pid)`.
      const match = /listening(?: at:)? (http:\/\/[^\s)]+)/i.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[1]!,
          output: () => output,
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await exited;
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before listening:\n${output}`));
    });
  });
}
