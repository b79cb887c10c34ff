// What every form and confirm does when the person presses its button: refuse a second press
// while the first is on its way, and keep the refusal (its sentence and the field it names)
// for the form to show. One place, so each dialog only says what to send.
import { errorField, errorText } from "./errors";

export class Submission {
  busy = $state(false);
  /** The last refusal, in the person's language; empty once a new attempt starts. */
  error = $state("");
  /** The input field the last refusal names, if any. */
  field = $state<string | undefined>(undefined);

  /** Runs `action`; true when it succeeded, false when it was refused (or already running). */
  async run(action: () => Promise<void>): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    this.error = "";
    this.field = undefined;
    try {
      await action();
      return true;
    } catch (e) {
      this.error = errorText(e);
      this.field = errorField(e);
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** The refusal when it names `field`, for that field's error line. */
  errorFor(field: string): string {
    return this.field === field ? this.error : "";
  }

  /** The refusal when it names none of `fields`, for the line above the buttons. */
  generalError(fields: readonly string[]): string {
    return this.field !== undefined && fields.includes(this.field) ? "" : this.error;
  }
}
