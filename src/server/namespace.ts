import { encodeScope } from './versionList.js';

/** What every adapter (`webVersioning`, `expressVersioning`, `fastifyVersioning`) takes besides the `Versioning`. */
export interface AdapterOptions<Req> {
  /**
   * Names the user whose session the request came with, in the client's terms (its `namespace`:
   * typically the user id, `''` for an anonymous session); `undefined` sends nothing. Called once
   * per request, before the handler runs (a login handler that switches the session still
   * answers as the session it was sent with), and sent as `X-Cache-Namespace` (the `Versioning`'s
   * `namespaceHeader`) on every response the adapter handles: feeds, 304s, writes, the version
   * endpoint and push. A client whose namespace differs (another tab switched the shared cookie
   * first) then refuses the answer instead of filing one user's data under another.
   *
   * @default none (the header is not sent)
   * @example
   * ```ts
   * const nx = expressVersioning(versioning, { namespace: (req) => (req as Request).session?.userId ?? '' });
   * ```
   */
  namespace?: (request: Req) => string | undefined | Promise<string | undefined>;
}

/** The request's `X-Cache-Namespace`, percent-encoded, or none; and the name to expose with it. */
export async function namespaceHeaders<Req>(
  header: string,
  options: AdapterOptions<Req> | undefined,
  request: Req,
): Promise<Record<string, string>> {
  const namespace = await options?.namespace?.(request);
  return namespace === undefined ? {} : { [header]: encodeScope(namespace) };
}

/** `existing` exposed names with the namespace header added when it is sent. */
export const withNamespaceExposed = (existing: string | null | undefined, owner: Record<string, string>): string | null | undefined => {
  const [name] = Object.keys(owner);
  return name === undefined ? existing : existing ? `${existing}, ${name}` : name;
};
