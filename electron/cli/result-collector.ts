import { type BatchTally, type Output, type TransferView, countInto, emptyTally, isEnded } from './output';
import { EXIT } from './runner';

/**
 * The results of a command's transfers, taken as each one settles instead of kept as
 * records until the last has: what Output prints for it (a --json line, a sentence, or in
 * a condensed batch nothing for a completed file), the batch's tally, the exit code's
 * inputs, and the view of one that did not end (for an interrupt). A run of 10,000 files
 * held 10,000 final records until it printed them, about 2 KB each that the JavaScript
 * heap then grew around (issue 13: memory follows the transfers active, not the number
 * queued). Prints what Output.results and exitCodeFor would for the same views.
 *
 * With --json, a result line goes out as soon as every one before it in the command's
 * order has settled and ended: the lines keep that order, and only the results behind a
 * transfer still running wait here (about the number active), not all of them.
 */
export class ResultCollector {
  /** By position: undefined until it settles; null when there is nothing (left) to print. */
  private readonly texts: Array<string | null | undefined>;
  /** Positions below this have been printed (--json). */
  private printedUpTo = 0;
  private readonly open = new Map<number, TransferView>();
  private readonly tally: BatchTally = emptyTally();
  private mismatch = false;
  private failed = false;

  constructor(
    private readonly output: Output,
    count: number,
  ) {
    this.texts = new Array<string | null | undefined>(count);
  }

  /** The `index`th transfer of the command settled as `view`. */
  add(index: number, view: TransferView): void {
    countInto(this.tally, view);
    this.mismatch ||= view.integrity.status === 'mismatch';
    this.failed ||= view.state !== 'completed';
    if (!isEnded(view)) this.open.set(index, view);
    this.texts[index] = this.output.resultText(view);
    if (this.output.streamsResults) this.printReady();
  }

  /** Every result not printed yet, in the command's order, then the batch's sentence. */
  printResults(): void {
    this.output.printResults(this.texts.slice(this.printedUpTo).filter((t): t is string => typeof t === 'string'), this.tally);
    this.printedUpTo = this.texts.length;
  }

  /** Prints the results that settled and ended with none before them left to wait for. */
  private printReady(): void {
    while (this.printedUpTo < this.texts.length) {
      const text = this.texts[this.printedUpTo];
      // One that did not end (paused) is said at the end, or as stopped after an interrupt.
      if (text === undefined || this.open.has(this.printedUpTo)) return;
      if (text !== null) this.output.line(text);
      this.texts[this.printedUpTo++] = null;
    }
  }

  /**
   * The transfers that did not end, in the command's order (an interrupt); first, with
   * --json, the result lines still held behind them of those that did end, so every ended
   * transfer has its line whatever its place in the command.
   */
  printStopped(): void {
    if (this.output.streamsResults) {
      for (let i = this.printedUpTo; i < this.texts.length; i++) {
        const text = this.texts[i];
        if (typeof text === 'string' && !this.open.has(i)) this.output.line(text);
      }
    }
    this.output.stoppedAll([...this.open.entries()].sort(([a], [b]) => a - b).map(([, view]) => view));
  }

  exitCode(): number {
    if (this.mismatch) return EXIT.mismatch;
    return this.failed ? EXIT.failed : EXIT.ok;
  }
}
