import type { TransferSummary } from '../../../electron/common/service';

/** Which row actions make sense in each state. */
export function actionsFor(t: Pick<TransferSummary, 'state'>): { pause: boolean; resume: boolean; cancel: boolean; retry: boolean } {
  return {
    pause: t.state === 'active' || t.state === 'queued',
    resume: t.state === 'paused',
    cancel: t.state === 'active' || t.state === 'queued' || t.state === 'paused',
    retry: t.state === 'failed' || t.state === 'canceled',
  };
}

const STATE_LABEL: Record<Exclude<TransferSummary['state'], 'active'>, string> = {
  queued: 'Queued',
  paused: 'Paused',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
};

/** A transfer's state in words; a moving one says which way it moves. */
export function stateLabel(t: Pick<TransferSummary, 'state' | 'direction'>): string {
  if (t.state === 'active') return t.direction === 'upload' ? 'Uploading' : 'Downloading';
  return STATE_LABEL[t.state];
}
