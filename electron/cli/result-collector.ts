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
 */
export class ResultCollector {
  private readonly texts: Array<string | undefined>;
  private readonly open = new Map<number, TransferView>();
  private readonly tally: BatchTally = emptyTally();
  private mismatch = false;
  private failed = false;

  constructor(
    private readonly output: Output,
    count: number,
  ) {
    this.texts = new Array<string | undefined>(count);
  }

  /** The `index`th transfer of the command settled as `view`. */
  add(index: number, view: TransferView): void {
    countInto(this.tally, view);
    this.mismatch ||= view.integrity.status === 'mismatch';
    this.failed ||= view.state !== 'completed';
    if (!isEnded(view)) this.open.set(index, view);
    const text = this.output.resultText(view);
    if (text !== null) this.texts[index] = text;
  }

  /** Every result, in the command's order, then the batch's sentence. */
  printResults(): void {
    this.output.printResults(this.texts.filter((t) => t !== undefined), this.tally);
  }

  /** The transfers that did not end, in the command's order (an interrupt). */
  printStopped(): void {
    this.output.stoppedAll([...this.open.entries()].sort(([a], [b]) => a - b).map(([, view]) => view));
  }

  exitCode(): number {
    if (this.mismatch) return EXIT.mismatch;
    return this.failed ? EXIT.failed : EXIT.ok;
  }
}
