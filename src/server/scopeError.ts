/** A scope template named a URL parameter the request does not have, or resolved to nothing. */
export class ScopeError extends Error {
  override name = 'ScopeError';
  /** The template, e.g. `calendar:{user}`. */
  readonly template: string;
  /** The parameter that was missing or empty, when one was. */
  readonly parameter: string | undefined;
  constructor(message: string, template: string, parameter?: string) {
    super(message);
    this.template = template;
    this.parameter = parameter;
  }
}
