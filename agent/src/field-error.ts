/** Input refused for one named field; the control API turns it into a 400 naming that field. */
export class FieldError extends Error {
  readonly field: string;
  constructor(message: string, field: string) {
    super(message);
    this.name = 'FieldError';
    this.field = field;
  }
}
