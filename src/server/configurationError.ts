/** An option passed to `createVersioning` or a store is missing or invalid. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
  /** The option at fault, e.g. `build`. */
  readonly option: string;
  constructor(message: string, option: string) {
    super(message);
    this.option = option;
  }
}
