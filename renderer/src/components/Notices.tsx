import { useEffect } from 'react';
import { useApp, useTransfers } from '../context';

/** Completion and failure notices (one per burst), and errors from commands; they fade on their own. */
export function Notices() {
  const { store } = useApp();
  const notices = useTransfers((s) => s.notices);
  useEffect(() => {
    if (notices.length === 0) return;
    const oldest = notices[0]!;
    const timer = setTimeout(() => store.getState().dismissNotice(oldest.key), oldest.level === 'error' ? 12_000 : 6000);
    return () => clearTimeout(timer);
  }, [notices, store]);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.key} className={`notice notice-${n.level}`} role={n.level === 'error' ? 'alert' : 'status'}>
          <strong>{n.title}</strong>
          <p>{n.body}</p>
          <button type="button" className="close" aria-label="Dismiss" onClick={() => store.getState().dismissNotice(n.key)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
