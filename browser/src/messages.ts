/** What the extension's own pages and content script say to its background. */
import type { HostReply, HostValues } from '../../electron/common/browser-capture';

export type PageMessage =
  /** The content script: the bypass key was held on a click. */
  | { type: 'bypass' }
  /** The popup: Ferry's queue, and the last problem reaching it. */
  | { type: 'status' }
  /** The popup's Open button: Ferry's window, whichever kind it has. */
  | { type: 'open' };

/** The last time Ferry could not be reached, for the popup to say why. */
export interface Problem {
  at: number;
  message: string;
  /** The download the browser kept because of it. */
  url: string | null;
}

export interface PopupStatus {
  reply: HostReply<'status'>;
  problem: Problem | null;
}

export type StatusValue = HostValues['status'];

/** Storage keys. */
export const RULES_KEY = 'rules';
export const PROBLEM_KEY = 'problem';
