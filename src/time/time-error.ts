/** An invalid date or period argument to the time module; the message says what to change. */
export class TimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TimeError";
  }
}
