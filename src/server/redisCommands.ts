/** An `ioredis` client (or Cluster): it has `call(command, ...args)`. */
export interface IoRedisLike {
  call(command: string, ...args: string[]): Promise<unknown>;
}

/** A `redis` (node-redis v4 or v5) client: it has `sendCommand([command, ...args])`. */
export interface NodeRedisLike {
  sendCommand(args: string[]): Promise<unknown>;
}

/** Either client library, as the app already created and connected it. */
export type RedisClientLike = IoRedisLike | NodeRedisLike;

/** Sends one raw command through whichever client library the app uses. */
export type SendCommand = (args: string[]) => Promise<unknown>;

export function commandSender(client: RedisClientLike): SendCommand | undefined {
  // ioredis also has a sendCommand, taking its own Command objects: test for `call` first.
  if ('call' in client && typeof client.call === 'function') return ([command, ...args]) => client.call(command!, ...args);
  if ('sendCommand' in client && typeof client.sendCommand === 'function') return (args) => client.sendCommand(args);
  return undefined;
}
