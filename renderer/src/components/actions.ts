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

export const STATE_LABEL: Record<TransferSummary['state'], string> = {
  queued: 'Queued',
  active: 'Moving',
  paused: 'Paused',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
};
