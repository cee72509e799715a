/** The slice of a pino logger the core uses, so core stays free of I/O imports. */
export interface CoreLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
