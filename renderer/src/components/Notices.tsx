import { useEffect, useState } from 'react';
import type { ShownNotice } from '../store';
import { useApp, useTransfers } from '../context';

/** How long a notice stays: errors longer, since they say what to do. */
const SHOWN_MS = { info: 6000, error: 12_000 } as const;

/** Completion and failure notices (one per burst), and errors from commands; they fade on their own. */
export function Notices() {
  const notices = useTransfers((s) => s.notices);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <NoticeCard key={n.key} notice={n} />
      ))}
    </div>
  );
}

/**
 * One notice, with its own clock: it leaves `SHOWN_MS` after it came, whatever arrives
 * after it (a clock shared by the stack restarted with every new notice, so a steady
 * trickle kept the oldest up for good). The clock stops while the pointer or the keyboard
 * is on it, so nobody loses a notice they are reading, and starts afresh when they leave.
 */
function NoticeCard({ notice }: { notice: ShownNotice }) {
  const { store } = useApp();
  const [held, setHeld] = useState(false);
  useEffect(() => {
    if (held) return;
    const timer = setTimeout(() => store.getState().dismissNotice(notice.key), SHOWN_MS[notice.level]);
    return () => clearTimeout(timer);
  }, [held, notice.key, notice.level, store]);
  return (
    <div
      className={`notice notice-${notice.level}`}
      role={notice.level === 'error' ? 'alert' : 'status'}
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(false)}
      onFocus={() => setHeld(true)}
      onBlur={() => setHeld(false)}
    >
      <strong>{notice.title}</strong>
      {/* A burst of failures is one line per file, each with its own reason. */}
      {notice.body.split('\n').map((line, i) => (
        <p key={i}>{line}</p>
      ))}
      <button type="button" className="close" aria-label="Dismiss" onClick={() => store.getState().dismissNotice(notice.key)}>
        ×
      </button>
    </div>
  );
}
